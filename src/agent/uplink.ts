/**
 * Drains the outbox over the open connection: several requests in flight (the compat preset's
 * limit), matched by `rqi` in the binding. An entry leaves the outbox only when its response
 * arrives: success (or 4105 CONFLICT on an idempotent name) acks it, a permanent refusal
 * quarantines it, a transport failure or a 5xxx leaves it for a later attempt.
 *
 * Ordering: entries are sent in outbox order, several in flight on the one connection. An entry
 * that must be sent again holds back the newer entries of its stream (stream-retries.ts): they
 * wait for its retry, and the stream then goes one request at a time until it is delivered, so
 * per-stream order holds across timeouts, retries and reconnects. Other streams are not held up.
 */
import type { Connection } from '../binding/ws/types.js';
import {
  EVENT_CATEGORY_BY_NAME,
  ResourceType,
  Rsc,
  isSuccess,
  rscLabel,
  ResultContent,
  type EventCategoryName,
} from '../protocol/codes.js';
import type { ResponsePrimitive } from '../protocol/primitive.js';
import type { ContentFormat } from '../config/types.js';
import { AgentError, describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { decodePending, type PendingUpload } from './pending.js';
import { createRequest } from './resources.js';
import { senmlContent, toSenml } from './senml.js';
import { StreamRetries } from './stream-retries.js';

export interface QueuedEntry {
  readonly id: number;
  readonly stream: string;
  readonly ec: EventCategoryName;
  readonly payload: Uint8Array;
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
  /** Sampling time corrected for wall-clock jumps since it was taken. */
  readonly correctedTime: (p: PendingUpload) => number;
  /** Called for 4004/4103/4106 answers; resolves once registration was checked (and maybe redone). */
  readonly recover: (conn: Connection) => Promise<void>;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly onDelivered?: (entry: QueuedEntry, upload: PendingUpload, rsp: ResponsePrimitive) => void;
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
  private readonly retries = new StreamRetries();
  private recovering?: Promise<void>;
  /** Monotonic ms when the last recovery started / finished (rate limit; stale answers). */
  private lastRecoveryStartMono = -Infinity;
  private lastRecoveryEndMono = -Infinity;

  constructor(private readonly o: UplinkOptions) {}

  /** Sends until `signal` aborts or the connection closes. */
  async drain(conn: Connection, signal: AbortSignal): Promise<void> {
    const inFlight = new Map<number, Promise<void>>();
    // Kept live and handed to the outbox by reference: eviction and expiry never touch these.
    const inFlightIds = new Set<number>();
    const inFlightByStream = new Map<string, number>();
    const inFlightOf = (stream: string): number => inFlightByStream.get(stream) ?? 0;
    this.lastRecoveryStartMono = -Infinity;
    // One wake-up for the whole drain, poked by every event (a response, an append, a retry
    // falling due, the end). Racing fresh promises on each pass instead left one listener per
    // pass on the outbox, the abort signal and `conn.closed` until the drain ended: one per
    // request sent, 100k for a 100k backlog.
    let poked = false;
    let wakeUp: (() => void) | undefined;
    const poke = (): void => {
      poked = true;
      const w = wakeUp;
      wakeUp = undefined;
      w?.();
    };
    const ended = new AbortController();
    signal.addEventListener('abort', poke, { once: true });
    void conn.closed.then(poke);
    const watchAppends = (): void => {
      void this.o.queue.waitForAppend(ended.signal).then(() => {
        if (ended.signal.aborted) return;
        poke();
        watchAppends();
      });
    };
    watchAppends();
    let retryTimer: TimerHandle | undefined;
    let retryAtMono = Infinity;
    try {
      while (!signal.aborted && conn.isOpen) {
        if (this.recovering) await this.recovering;
        const now = this.o.clock.monotonicMs();
        const nextRetry = this.retries.nextDueMono(now);
        const room = this.o.maxInFlight - inFlight.size;
        const batch =
          room > 0
            ? await this.o.queue.next(room, inFlightIds, this.retries.streamsToSkip(now, inFlightOf))
            : [];
        let sent = 0;
        for (const e of batch) {
          // A held stream goes one request at a time, oldest first (the rest come on later passes).
          if (this.retries.isHeld(e.stream)) {
            if (inFlightOf(e.stream) > 0) continue;
            this.retries.oldestIs(e.stream, e.id);
          }
          inFlightByStream.set(e.stream, inFlightOf(e.stream) + 1);
          inFlightIds.add(e.id);
          const p = this.send(conn, e).finally(() => {
            inFlight.delete(e.id);
            inFlightIds.delete(e.id);
            const left = inFlightOf(e.stream) - 1;
            if (left > 0) inFlightByStream.set(e.stream, left);
            else inFlightByStream.delete(e.stream);
            poke();
          });
          inFlight.set(e.id, p);
          sent++;
        }
        if (sent > 0 && inFlight.size < this.o.maxInFlight) continue;
        // Wait for a slot, new work, a retry becoming due, or the end.
        if (nextRetry < retryAtMono) {
          if (retryTimer) this.o.clock.clearTimeout(retryTimer);
          retryAtMono = nextRetry;
          retryTimer = this.o.clock.setTimeout(
            () => {
              retryTimer = undefined;
              retryAtMono = Infinity;
              poke();
            },
            Math.max(1, nextRetry - now),
          );
          retryTimer.unref?.();
        }
        if (!poked)
          await new Promise<void>((resolve) => {
            wakeUp = resolve;
          });
        poked = false;
      }
    } finally {
      ended.abort();
      signal.removeEventListener('abort', poke);
      if (retryTimer) this.o.clock.clearTimeout(retryTimer);
    }
    await Promise.allSettled(inFlight.values());
  }

  private async send(conn: Connection, entry: QueuedEntry): Promise<void> {
    let upload: PendingUpload;
    try {
      upload = decodePending(entry.payload);
    } catch (err) {
      await this.quarantine(entry, describeError(err));
      return;
    }
    const aeId = this.o.aeId();
    if (aeId === undefined) return;
    const wanted = this.o.contentFormat(upload.device);
    // SenML CBOR only pays off inside a CBOR primitive; on a text link it would be base64 noise.
    const format = wanted === 'senml+cbor' && conn.serialization !== 'cbor' ? 'senml+json' : wanted;
    const cin: Record<string, unknown> = senmlContent(
      toSenml(upload.device, upload.readings, this.o.correctedTime(upload)),
      format,
    );
    // Idempotent uploads: a retry after a lost response meets 4105 instead of creating a duplicate.
    if (this.o.idempotentNames) cin.rn = `${upload.device}-${entry.id}`;
    const req = createRequest(
      this.o.containerPath?.(upload.device) ?? `${this.o.aePath()}/${upload.device}`,
      ResourceType.ContentInstance,
      { 'm2m:cin': cin },
      {
        fr: aeId,
        rqi: this.o.rqi(),
        rvi: this.o.rvi,
        ec: EVENT_CATEGORY_BY_NAME[entry.ec],
        // rcn 0 (nothing): the created reading is not echoed back, which saves ~150 bytes per
        // reading on the downlink and the registrar's work of rendering it.
        rcn: ResultContent.Nothing,
      },
    );
    let rsp: ResponsePrimitive;
    const sentMono = this.o.clock.monotonicMs();
    try {
      rsp = await conn.request(req, { timeoutMs: this.o.requestTimeoutMs });
    } catch (err) {
      // Link lost: the entry stays for the next connection. No answer: a timeout counts as an
      // attempt. A failure with the link still open means the request could not be sent at all
      // (too large for the link, not encodable): resending at once would spin, so it is retried
      // later (too large: quarantined, it will never fit).
      const code = err instanceof AgentError ? err.code : undefined;
      if (code === 'WS_REQUEST_TIMEOUT') this.scheduleRetry(entry, 'request timed out');
      else if (code === 'WS_MESSAGE_TOO_LARGE') await this.quarantine(entry, describeError(err));
      else if (conn.isOpen) this.scheduleRetry(entry, describeError(err));
      return;
    }
    if (isSuccess(rsp.rsc) || (rsp.rsc === Rsc.CONFLICT && this.o.idempotentNames)) {
      this.retries.done(entry.stream, entry.id);
      await this.o.queue.ack(entry.id);
      this.o.onDelivered?.(entry, upload, rsp);
      return;
    }
    if (MAYBE_GONE.has(rsp.rsc)) {
      // Our <AE> or a container may be gone: no fault of the reading, which is retried (with the
      // usual limit), not quarantined at once. One recovery at a time, at most one per
      // RECOVERY_INTERVAL_MS (no registration loop); an answer older than the last recovery is
      // simply sent again.
      // The entry goes again; until it is delivered, its stream goes one request at a time.
      this.retries.failed(entry.stream, entry.id, this.o.clock.monotonicMs(), false);
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
      return; // retried on the next pass
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

  private scheduleRetry(entry: QueuedEntry, reason: string): void {
    const attempts = this.retries.failed(entry.stream, entry.id, this.o.clock.monotonicMs());
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
    this.retries.done(entry.stream, entry.id);
    this.o.onQuarantined?.(entry, reason);
  }
}
