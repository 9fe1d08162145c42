/**
 * Drains the outbox over the open connection: several requests in flight (the compat preset's
 * limit), matched by `rqi` in the binding. An entry leaves the outbox only when its response
 * arrives: success (or 4105 CONFLICT on an idempotent name) acks it, a permanent refusal
 * quarantines it, a transport failure or a 5xxx leaves it for a later attempt.
 *
 * Ordering: entries are sent in outbox order, several in flight on the one connection. An entry
 * that must be sent again holds back the newer entries of its stream (send-window.ts): they
 * wait for its retry, and the stream then goes one request at a time until it is delivered, so
 * per-stream order holds across timeouts, retries and reconnects. Other streams are not held up.
 * The bookkeeping (in flight, held back, the wake-up) is the send window (send-window.ts).
 */
import type { Connection } from '../binding/ws/types.js';
import { Rsc, isSuccess, rscLabel, type EventCategoryName } from '../protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../protocol/primitive.js';
import type { ContentFormat } from '../config/types.js';
import { AgentError, describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Clock } from '../util/clock.js';
import { decodeReadingValues, type SampledValue } from './reading-queue.js';
import { readingRequest } from './reading-request.js';
import { SendWindow } from './send-window.js';

export interface QueuedEntry {
  readonly id: number;
  readonly stream: string;
  readonly ec: EventCategoryName;
  /** The values of the reading (reading-queue.ts). */
  readonly payload: Uint8Array;
  /** When it was sampled (the record's one stamp), corrected for wall-clock jumps since. */
  readonly correctedCreatedWallMs: number;
}

/** What the uplink needs of the outbox (implemented over `outbox/outbox.ts`). */
export interface UplinkQueue {
  /** The oldest entries whose ids are not in `skip` and whose streams are not in `skipStreams`, at most `n`. */
  next(
    n: number,
    skip: ReadonlySet<number>,
    skipStreams?: ReadonlySet<string>,
  ): Promise<readonly QueuedEntry[]>;
  ack(id: number): Promise<void>;
  reject(id: number, reason: string): Promise<void>;
  /** Resolves when something may have been appended (or `signal` aborts). */
  waitForAppend(signal: AbortSignal): Promise<void>;
}

export interface UplinkOptions {
  readonly queue: UplinkQueue;
  readonly rvi: string;
  readonly rqi: () => string;
  readonly aeId: () => string | undefined;
  readonly aePath: () => string;
  /** A device's container as used in `to`, named as the registrar named it (default `aePath/device`). */
  readonly containerPath?: (device: string) => string;
  readonly contentFormat: (device: string) => ContentFormat;
  readonly idempotentNames: boolean;
  readonly maxInFlight: number;
  readonly requestTimeoutMs: number;
  /** Called for 4004/4103/4106 answers; resolves once registration was checked (and maybe redone). */
  readonly recover: (conn: Connection) => Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onDelivered?: (entry: QueuedEntry, rsp: ResponsePrimitive) => void;
  readonly onQuarantined?: (entry: QueuedEntry, reason: string) => void;
}

/** 5xxx answers and timeouts are retried this many times before the entry is quarantined. */
const MAX_ATTEMPTS = 8;
/** Least time between two registration checks on one connection. */
const RECOVERY_INTERVAL_MS = 30_000;
/** Rsc that may mean our <AE> (or a container) is gone. */
const MAYBE_GONE = new Set<number>([
  Rsc.NOT_FOUND,
  Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
  Rsc.ORIGINATOR_NOT_AUTHENTICATED,
]);

export class Uplink {
  private readonly window: SendWindow;
  private recovering?: Promise<void>;
  /** Monotonic ms when the last recovery started / finished (rate limit; stale answers). */
  private lastRecoveryStartMono = -Infinity;
  private lastRecoveryEndMono = -Infinity;

  constructor(private readonly o: UplinkOptions) {
    this.window = new SendWindow(o.clock);
  }

  /** Sends until `signal` aborts or the connection closes. */
  async drain(conn: Connection, signal: AbortSignal): Promise<void> {
    this.window.open();
    this.lastRecoveryStartMono = -Infinity;
    const ended = new AbortController();
    signal.addEventListener('abort', this.window.poke, { once: true });
    void conn.closed.then(this.window.poke);
    this.pokeOnAppends(this.window.poke, ended.signal);
    try {
      while (!signal.aborted && conn.isOpen) {
        if (this.recovering) await this.recovering;
        const now = this.o.clock.monotonicMs();
        const nextRetry = this.window.nextDueMono(now);
        const sent = await this.sendNextBatch(conn, now);
        if (sent > 0 && this.window.size < this.o.maxInFlight) continue;
        // Wait for a slot, new work, a retry becoming due, or the end.
        await this.window.sleep(nextRetry, now);
      }
    } finally {
      ended.abort();
      signal.removeEventListener('abort', this.window.poke);
      this.window.close();
    }
    await this.window.settled();
  }

  /** Pokes the drain after every append until `until` aborts (one listener at a time). */
  private pokeOnAppends(poke: () => void, until: AbortSignal): void {
    void this.o.queue.waitForAppend(until).then(() => {
      if (until.aborted) return;
      poke();
      this.pokeOnAppends(poke, until);
    });
  }

  /** Sends what the free slots allow, in outbox order; returns how many requests went out. */
  private async sendNextBatch(conn: Connection, nowMono: number): Promise<number> {
    const room = this.o.maxInFlight - this.window.size;
    if (room <= 0) return 0;
    const batch = await this.o.queue.next(room, this.window.idsForNext(), this.window.streamsToSkip(nowMono));
    let sent = 0;
    for (const e of batch) {
      // A held stream goes one request at a time, oldest first (the rest come on later passes).
      if (!this.window.mayStart(e)) continue;
      this.window.start(e, () => this.send(conn, e));
      sent++;
    }
    return sent;
  }

  /** One entry: decode, send, and act on the answer (or on its absence). */
  private async send(conn: Connection, entry: QueuedEntry): Promise<void> {
    let values: SampledValue[];
    try {
      values = decodeReadingValues(entry.payload);
    } catch (err) {
      await this.quarantine(entry, describeError(err));
      return;
    }
    const req = this.requestFor(conn, entry, values);
    if (req === undefined) return;
    let rsp: ResponsePrimitive;
    const sentMono = this.o.clock.monotonicMs();
    try {
      rsp = await conn.request(req, { timeoutMs: this.o.requestTimeoutMs });
    } catch (err) {
      await this.onNoAnswer(conn, entry, err);
      return;
    }
    await this.onAnswer(conn, entry, rsp, sentMono);
  }

  /** The create-contentInstance request; undefined while we have no AE-ID (not registered yet). */
  private requestFor(
    conn: Connection,
    entry: QueuedEntry,
    values: readonly SampledValue[],
  ): RequestPrimitive | undefined {
    const aeId = this.o.aeId();
    if (aeId === undefined) return undefined;
    const device = entry.stream;
    const wanted = this.o.contentFormat(device);
    return readingRequest(device, values, entry.correctedCreatedWallMs, {
      to: this.o.containerPath?.(device) ?? `${this.o.aePath()}/${device}`,
      fr: aeId,
      rqi: this.o.rqi(),
      rvi: this.o.rvi,
      ec: entry.ec,
      // SenML CBOR only pays off inside a CBOR primitive; on a text link it would be base64 noise.
      format: wanted === 'senml+cbor' && conn.serialization !== 'cbor' ? 'senml+json' : wanted,
      ...(this.o.idempotentNames ? { rn: `${device}-${entry.id}` } : {}),
    });
  }

  /**
   * Link lost: the entry stays for the next connection. No answer: a timeout counts as an
   * attempt. A failure with the link still open means the request could not be sent at all (too
   * large for the link, not encodable): resending at once would spin, so it is retried later
   * (too large: quarantined, it will never fit).
   */
  private async onNoAnswer(conn: Connection, entry: QueuedEntry, err: unknown): Promise<void> {
    const code = err instanceof AgentError ? err.code : undefined;
    if (code === 'WS_REQUEST_TIMEOUT') this.scheduleRetry(entry, 'request timed out');
    else if (code === 'WS_MESSAGE_TOO_LARGE') await this.quarantine(entry, describeError(err));
    else if (conn.isOpen) this.scheduleRetry(entry, describeError(err));
  }

  private async onAnswer(
    conn: Connection,
    entry: QueuedEntry,
    rsp: ResponsePrimitive,
    sentMono: number,
  ): Promise<void> {
    if (isSuccess(rsp.rsc) || (rsp.rsc === Rsc.CONFLICT && this.o.idempotentNames)) {
      this.window.done(entry.stream, entry.id);
      await this.o.queue.ack(entry.id);
      this.o.onDelivered?.(entry, rsp);
      return;
    }
    if (MAYBE_GONE.has(rsp.rsc)) {
      await this.retryAfterRecovery(conn, entry, rsp, sentMono);
      return;
    }
    if (rsp.rsc >= 5000 || rsp.rsc === Rsc.REQUEST_TIMEOUT) {
      this.scheduleRetry(entry, rscLabel(rsp.rsc));
      return;
    }
    await this.quarantine(
      entry,
      `refused: ${rscLabel(rsp.rsc)}${typeof rsp.pc?.['m2m:dbg'] === 'string' ? ` (${rsp.pc['m2m:dbg']})` : ''}`,
    );
  }

  /**
   * Our <AE> or a container may be gone: no fault of the reading, which is retried (with the
   * usual limit), not quarantined at once. One recovery at a time, at most one per
   * RECOVERY_INTERVAL_MS (no registration loop); an answer older than the last recovery is simply
   * sent again.
   */
  private async retryAfterRecovery(
    conn: Connection,
    entry: QueuedEntry,
    rsp: ResponsePrimitive,
    sentMono: number,
  ): Promise<void> {
    // The entry goes again; until it is delivered, its stream goes one request at a time.
    this.window.failed(entry.stream, entry.id, this.o.clock.monotonicMs(), false);
    if (this.recovering) {
      await this.recovering;
      return;
    }
    if (sentMono < this.lastRecoveryEndMono) return;
    if (this.o.clock.monotonicMs() - this.lastRecoveryStartMono < RECOVERY_INTERVAL_MS) {
      this.scheduleRetry(entry, rscLabel(rsp.rsc));
      return;
    }
    this.lastRecoveryStartMono = this.o.clock.monotonicMs();
    this.recovering = this.o
      .recover(conn)
      .catch((err: unknown) => {
        this.o.logger.warn('registration check failed', { error: describeError(err) });
      })
      .finally(() => {
        this.recovering = undefined;
        this.lastRecoveryEndMono = this.o.clock.monotonicMs();
      });
    await this.recovering;
    // retried on the next pass
  }

  private scheduleRetry(entry: QueuedEntry, reason: string): void {
    const attempts = this.window.failed(entry.stream, entry.id, this.o.clock.monotonicMs());
    if (attempts >= MAX_ATTEMPTS) {
      void this.quarantine(entry, `gave up after ${attempts} attempts: ${reason}`);
      return;
    }
    this.o.logger.debug('upload will be retried', {
      id: entry.id,
      stream: entry.stream,
      reason,
      attempt: attempts,
    });
  }

  private async quarantine(entry: QueuedEntry, reason: string): Promise<void> {
    this.o.logger.warn('upload refused for good; quarantined', {
      id: entry.id,
      stream: entry.stream,
      reason,
    });
    await this.o.queue.reject(entry.id, reason);
    this.window.done(entry.stream, entry.id);
    this.o.onQuarantined?.(entry, reason);
  }
}
