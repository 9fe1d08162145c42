/**
 * The outbox policy over an {@link OutboxStore}: what gets in (`maxBytes`, eviction by event
 * category, `latest` replacement, a full disk: admission.ts), expiry that ignores wall-clock
 * jumps, and the drain. The uplink drives it: `next` → send → `ack` / `reject`; a transport
 * failure just leaves the entry for the next `next`. See README.md for the rules and their limits.
 */
import { correctedWallMs, elapsedMs, readBootId, type TimeStamp } from '../util/clock-jump.js';
import { bootClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { Admission } from './admission.js';
import { OutboxClosedError } from './errors.js';
import {
  recordMeta,
  type EventCategory,
  type NewRecord,
  type OutboxStore,
  type RecordMeta,
  type StoreStats,
  type StoredRecord,
} from './store.js';
import { renewedIfEmpty } from '../util/young-collections.js';

export interface OutboxOptions {
  /** Upper bound of the stored bytes (`buffer.maxBytes`). */
  maxBytes: number;
  /** Entries older than this expire (`buffer.maxAgeSeconds`; 0: no age limit). */
  maxAgeSeconds: number;
  /** Must have a boot-relative monotonic clock (default `bootClock`, util/clock.ts). */
  clock?: Clock;
  /** Id of the current boot (default: the kernel's boot_id). */
  bootId?: string;
  logger?: Logger;
}

/** What a producer appends. The sampling stamp defaults to now. */
export interface OutboxInput {
  readonly stream: string;
  readonly ec: EventCategory;
  readonly payload: Uint8Array;
  /** When the reading was taken, if earlier than the append. */
  readonly sampledAt?: TimeStamp;
  /** Absolute expiry on the same wall clock as the sampling stamp (e.g. the request's `rqet`). */
  readonly expiresAtWallMs?: number;
}

/** An entry handed to the uplink, with its creation time corrected for wall-clock jumps. */
export interface OutboxEntry extends StoredRecord {
  readonly correctedCreatedWallMs: number;
}

/** Store statistics plus the policy's own counters. */
export interface OutboxStats extends StoreStats {
  /** Age of the oldest entry (jump-corrected), undefined when empty. */
  readonly oldestAgeSeconds: number | undefined;
  /** Appends refused with `OUTBOX_FULL`. */
  readonly refusedFull: number;
  /** Entries evicted because the disk was full (also counted in `evicted`). */
  readonly evictedForSpace: number;
}

const EMPTY: ReadonlySet<number> = new Set();

/** The durable, bounded buffer of pending uploads. */
export class Outbox {
  private readonly clock: Clock;
  private readonly bootId: string;
  private readonly log: Logger;
  private readonly maxAgeMs: number;
  private inFlight: ReadonlySet<number> = EMPTY;
  private readonly admission: Admission;
  private listeners = new Set<(meta: RecordMeta) => void>();
  private waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  private closed = false;

  constructor(
    private readonly store: OutboxStore,
    private readonly opts: OutboxOptions,
  ) {
    this.clock = opts.clock ?? bootClock;
    this.bootId = opts.bootId ?? readBootId();
    this.log = (opts.logger ?? silentLogger).child({ component: 'outbox' });
    this.maxAgeMs = Math.max(0, opts.maxAgeSeconds) * 1000;
    this.admission = new Admission(store, {
      maxBytes: opts.maxBytes,
      clock: this.clock,
      log: this.log,
      inFlight: () => this.inFlight,
      appended: (id) => {
        this.appended(id);
      },
    });
  }

  /** The current time stamp (for producers that stamp readings themselves). */
  now(): TimeStamp {
    return { wallMs: this.clock.nowMs(), monoMs: this.clock.monotonicMs(), bootId: this.bootId };
  }

  /**
   * Stores an entry durably and returns its id. Makes room first (evicting per category), and on
   * a full disk evicts and retries; fails with `OUTBOX_FULL` only when nothing may be evicted.
   * For `latest`, older entries of the same stream that are not in flight are then removed.
   */
  append(input: OutboxInput): Promise<number> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    return this.admission.append(this.recordOf(input));
  }

  /**
   * Up to `n` oldest entries not in `inFlight` and not of `skipStreams` (streams held back for a
   * retry), expired ones removed on the way. `inFlight` is kept by reference.
   */
  async next(
    n: number,
    inFlight: ReadonlySet<number> = EMPTY,
    skipStreams?: ReadonlySet<string>,
  ): Promise<OutboxEntry[]> {
    this.inFlight = inFlight;
    const now = this.now();
    const filter = skipStreams && skipStreams.size > 0 ? { skip: inFlight, skipStreams } : { skip: inFlight };
    // Plain loops, no closures: this runs per entry drained. The peek walks the index from its
    // head, so a call costs O(n + inFlight + entries of skipped streams), not O(backlog) unless
    // the backlog is mostly of held-back streams.
    for (;;) {
      const recs = await this.store.peek(n, filter);
      const expired: number[] = [];
      for (const r of recs) if (this.isExpired(r, now)) expired.push(r.id);
      if (expired.length > 0) {
        await this.removeExpired(expired);
        continue;
      }
      const out: OutboxEntry[] = [];
      for (const r of recs) out.push(entryOf(r, now));
      return out;
    }
  }

  /** The entry was delivered: remove it. */
  ack(id: number): Promise<boolean> {
    return this.store.remove([id], 'delivered').then((n) => n > 0);
  }

  /** The entry was refused for good: set it aside in quarantine with the reason. */
  async reject(id: number, reason: string): Promise<boolean> {
    const meta = this.store.meta(id);
    const done = await this.store.quarantine(id, reason);
    if (done) this.log.warn('upload refused permanently; quarantined', { id, stream: meta?.stream, reason });
    return done;
  }

  /** Removes every entry past its expiry or `maxAgeSeconds` (not those in flight); returns the count. */
  async expireDue(): Promise<number> {
    const now = this.now();
    const ids: number[] = [];
    this.store.scan((m) => {
      if (!this.inFlight.has(m.id) && this.isExpired(m, now)) ids.push(m.id);
      return true;
    });
    return ids.length === 0 ? 0 : this.removeExpired(ids);
  }

  /** True when an `immediate` entry is waiting (the link opens outside its windows for it). */
  hasImmediate(): boolean {
    return this.store.stats().byEc.immediate > 0;
  }

  /** The store's figures plus the policy's counters and the oldest entry's (jump-proof) age. */
  stats(): OutboxStats {
    const s = this.store.stats();
    let oldest: RecordMeta | undefined;
    this.store.scan((m) => {
      oldest = m;
      return false;
    });
    return {
      ...s,
      oldestAgeSeconds: oldest && Math.floor(elapsedMs(stampOf(oldest), this.now()) / 1000),
      refusedFull: this.admission.refusedFull,
      evictedForSpace: this.admission.evictedForSpace,
    };
  }

  /** Calls `fn` after every successful append; returns the unsubscribe function. */
  onAppended(fn: (meta: RecordMeta) => void): () => void {
    this.listeners.add(fn);
    return () => {
      this.listeners.delete(fn);
      this.listeners = renewedIfEmpty(this.listeners);
    };
  }

  /** Resolves once the outbox holds anything (at once if it does); rejects on abort or close. */
  whenNonEmpty(signal?: AbortSignal): Promise<void> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    if (this.store.stats().depth > 0) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => {
        this.waiters.delete(w);
        reject(abortReason(signal));
      };
      const w = {
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
        reject: (e: Error) => {
          signal?.removeEventListener('abort', onAbort);
          reject(e);
        },
      };
      this.waiters.add(w);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Waits for pending appends, wakes waiters with `OUTBOX_CLOSED`, closes the store. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.admission.settled();
    for (const w of this.waiters) w.reject(new OutboxClosedError());
    this.waiters.clear();
    await this.store.close();
  }

  // ---- internals ------------------------------------------------------------------------------

  private recordOf(input: OutboxInput): NewRecord {
    const stamp = input.sampledAt ?? this.now();
    return {
      stream: input.stream,
      ec: input.ec,
      createdWallMs: stamp.wallMs,
      createdMonoMs: stamp.monoMs,
      bootId: stamp.bootId,
      ...(input.expiresAtWallMs === undefined ? {} : { expiresAtWallMs: input.expiresAtWallMs }),
      payload: input.payload,
    };
  }

  /** Tells the listeners and the `whenNonEmpty` waiters. */
  private appended(id: number): void {
    const meta = this.store.meta(id);
    if (meta) for (const fn of this.listeners) this.notify(fn, meta);
    if (this.waiters.size === 0) return;
    const waiters = this.waiters;
    this.waiters = new Set(); // not clear(): util/young-collections.ts
    for (const w of waiters) w.resolve();
  }

  private isExpired(m: RecordMeta, now: TimeStamp): boolean {
    if (this.maxAgeMs === 0 && m.expiresAtWallMs === undefined) return false;
    const age = elapsedMs(stampOf(m), now);
    if (this.maxAgeMs > 0 && age > this.maxAgeMs) return true;
    // rqet is absolute, but both it and the creation stamp came from the same (possibly wrong)
    // clock, so their difference is a true time-to-live: compare it with the jump-proof age.
    return m.expiresAtWallMs !== undefined && age >= m.expiresAtWallMs - m.createdWallMs;
  }

  private async removeExpired(ids: number[]): Promise<number> {
    const n = await this.store.remove(ids, 'expired');
    if (n > 0) this.log.info('outbox entries expired', { count: n });
    return n;
  }

  private notify(fn: (meta: RecordMeta) => void, meta: RecordMeta): void {
    try {
      fn(meta);
    } catch (err) {
      this.log.error('outbox append listener threw', { err });
    }
  }
}

function abortReason(signal: AbortSignal | undefined): Error {
  const r: unknown = signal?.reason;
  return r instanceof Error ? r : new Error('aborted');
}

/** `r` with its jump-corrected creation time, built field by field (see store.ts `recordMeta`). */
function entryOf(r: StoredRecord, now: TimeStamp): OutboxEntry {
  const e = recordMeta(r, r.id, r.sizeBytes) as { -readonly [K in keyof OutboxEntry]: OutboxEntry[K] };
  e.payload = r.payload;
  e.correctedCreatedWallMs = correctedWallMs(stampOf(r), now);
  return e;
}

function stampOf(m: RecordMeta): TimeStamp {
  return { wallMs: m.createdWallMs, monoMs: m.createdMonoMs, bootId: m.bootId };
}
