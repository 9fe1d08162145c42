/**
 * The outbox policy over an {@link OutboxStore}: bounds (`maxBytes`, `maxAgeSeconds`), eviction by
 * event category, `latest` replacement, expiry that ignores wall-clock jumps, and disk-full
 * handling. The uplink drives it: `next` → send → `ack` / `reject`; a transport failure just
 * leaves the entry for the next `next`. See README.md for the rules and their limits.
 */
import { readBootId, type TimeStamp } from '../util/clock-jump.js';
import { bootClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { OutboxClosedError, OutboxFullError, OutboxNoSpaceError } from './errors.js';
import { evictForSpace, pickVictims } from './eviction.js';
import type { EventCategory, NewRecord, OutboxStore, RecordMeta, StoreStats, StoredRecord } from './store.js';

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
const LOG_EVERY_MS = 60_000;

/** The durable, bounded buffer of pending uploads. */
export class Outbox {
  private readonly clock: Clock;
  private readonly bootId: string;
  private readonly log: Logger;
  private readonly maxAgeMs: number;
  private inFlight: ReadonlySet<number> = EMPTY;
  /** Appends that make room first, in call order; `queuedAppends` of them not done. */
  private appendChain: Promise<unknown> = Promise.resolve();
  private queuedAppends = 0;
  /** The store write of the latest direct append (settled: all are) and the bytes not yet written. */
  private lastDirectWrite: Promise<unknown> = Promise.resolve();
  private unwrittenBytes = 0;
  private readonly listeners = new Set<(meta: RecordMeta) => void>();
  private readonly waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  private refusedFull = 0;
  private evictedForSpace = 0;
  private closed = false;
  private lastEvictLogMs = -Infinity;
  private evictedSinceLog = 0;
  /** Appends are being refused (logged once per change). */
  private refusing = false;
  private refusedSinceAccepted = 0;
  /** `ec:depth:bytes` when reclaiming space last found nothing for that category. */
  private readonly reclaim: { unreclaimable?: string } = {};

  constructor(
    private readonly store: OutboxStore,
    private readonly opts: OutboxOptions,
  ) {
    this.clock = opts.clock ?? bootClock;
    this.bootId = opts.bootId ?? readBootId();
    this.log = (opts.logger ?? silentLogger).child({ component: 'outbox' });
    this.maxAgeMs = Math.max(0, opts.maxAgeSeconds) * 1000;
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
    const rec = this.recordOf(input);
    // Nothing to evict or replace and nothing queued ahead: straight to the store, which
    // writes the appends of one tick (devices sampled together) in one write.
    if (this.queuedAppends === 0 && rec.ec !== 'latest') {
      const bytes = this.store.sizeOf(rec);
      if (this.storedBytes() + bytes <= this.opts.maxBytes) return this.appendDirect(rec, bytes);
    }
    return this.enqueue(() => this.appendNow(rec));
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
      for (const r of recs) out.push({ ...r, correctedCreatedWallMs: correctedWallMs(stampOf(r), now) });
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
      refusedFull: this.refusedFull,
      evictedForSpace: this.evictedForSpace,
    };
  }

  /** Calls `fn` after every successful append; returns the unsubscribe function. */
  onAppended(fn: (meta: RecordMeta) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
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
    await this.lastDirectWrite;
    await this.appendChain;
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

  /** Bytes stored plus those of direct appends not yet written: what `maxBytes` bounds. */
  private storedBytes(): number {
    return this.store.stats().bytes + this.unwrittenBytes;
  }

  /**
   * Appends in call order behind the queued ones (eviction, replacement, a full disk), once the
   * direct ones before are written: only written records can be evicted.
   */
  private enqueue(fn: () => Promise<number>): Promise<number> {
    this.queuedAppends++;
    const run = this.appendChain
      .then(() => this.lastDirectWrite)
      .then(fn)
      .finally(() => {
        this.queuedAppends--;
      });
    this.appendChain = run.catch(() => undefined);
    return run;
  }

  /** An append that needs no room made; a full disk sends it to the queue to evict and retry. */
  private appendDirect(rec: NewRecord, bytes: number): Promise<number> {
    this.unwrittenBytes += bytes;
    const write = this.store.append(rec);
    const run = write.then(
      (id) => {
        this.unwrittenBytes -= bytes;
        this.noteAccepted();
        this.appended(id);
        return id;
      },
      (err: unknown) => {
        this.unwrittenBytes -= bytes;
        if (!(err instanceof OutboxNoSpaceError)) throw err;
        return this.enqueue(async () => {
          const id = await this.appendWithSpaceRetry(rec);
          this.appended(id);
          return id;
        });
      },
    );
    // Registered after `run`'s handlers: a retry is queued before this settles.
    this.lastDirectWrite = write.catch(() => undefined);
    return run;
  }

  /** Tells the listeners and the `whenNonEmpty` waiters. */
  private appended(id: number): void {
    const meta = this.store.meta(id);
    if (meta) for (const fn of this.listeners) this.notify(fn, meta);
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
  }

  private async appendNow(rec: NewRecord): Promise<number> {
    // `latest`: older unsent entries of the stream are superseded; their room counts as free.
    const superseded: number[] = [];
    let supersededBytes = 0;
    if (rec.ec === 'latest') {
      this.store.scan(
        (m) => {
          if (!this.inFlight.has(m.id)) {
            superseded.push(m.id);
            supersededBytes += m.sizeBytes;
          }
          return true;
        },
        { stream: rec.stream, ec: 'latest' },
      );
    }
    await this.makeRoom(rec, this.store.sizeOf(rec) - supersededBytes, new Set(superseded));
    const id = await this.appendWithSpaceRetry(rec);
    if (superseded.length > 0) await this.store.remove(superseded, 'replaced');
    this.appended(id);
    return id;
  }

  /** Evicts, oldest first in category order, until `needBytes` more fit under `maxBytes`. */
  private async makeRoom(rec: NewRecord, needBytes: number, spare: ReadonlySet<number>): Promise<void> {
    const ec = rec.ec;
    const over = this.storedBytes() + needBytes - this.opts.maxBytes;
    if (over <= 0) return;
    const keep = (id: number): boolean => this.inFlight.has(id) || spare.has(id);
    const victims = pickVictims(this.store, ec, keep, (_, bytes) => bytes >= over);
    if (victims.bytes < over) {
      this.refuse(rec, `maxBytes reached, nothing of lower or equal priority than "${ec}" to evict`);
      throw new OutboxFullError(
        `outbox full (${this.opts.maxBytes} bytes) and nothing of lower or equal priority than "${ec}" to evict`,
      );
    }
    const n = await this.store.remove(victims.ids, 'evicted');
    this.noteEvicted(n, 'maxBytes');
  }

  /** Appends; on a full disk evicts what frees space (`evictForSpace`) and retries. */
  private async appendWithSpaceRetry(rec: NewRecord): Promise<number> {
    for (let batch = 1; ; batch *= 2) {
      try {
        const id = await this.store.append(rec);
        this.noteAccepted();
        return id;
      } catch (err) {
        if (!(err instanceof OutboxNoSpaceError)) throw err;
        const inFlight = (id: number): boolean => this.inFlight.has(id);
        const n = await evictForSpace(this.store, rec.ec, batch, inFlight, this.reclaim);
        if (n === undefined) {
          this.refuse(rec, 'disk full and nothing this entry may evict would free space');
          throw new OutboxFullError('disk full and nothing left to evict', err);
        }
        this.evictedForSpace += n;
        this.noteEvicted(n, 'disk full');
      }
    }
  }

  /** Counts a refusal; logs once when refusals start (and `noteAccepted` once when they end). */
  private refuse(rec: NewRecord, why: string): void {
    this.refusedFull++;
    this.refusedSinceAccepted++;
    if (this.refusing) return;
    this.refusing = true;
    this.log.error(
      `outbox full: refusing new entries (${why}); logged once until entries are accepted again`,
      {
        stream: rec.stream,
        ec: rec.ec,
        maxBytes: this.opts.maxBytes,
      },
    );
  }

  private noteAccepted(): void {
    if (!this.refusing) return;
    this.refusing = false;
    this.log.info('outbox accepting entries again', { refused: this.refusedSinceAccepted });
    this.refusedSinceAccepted = 0;
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

  /** One log line per minute at most while evictions continue, with the count since the last line. */
  private noteEvicted(n: number, why: string): void {
    this.evictedSinceLog += n;
    const nowMono = this.clock.monotonicMs();
    if (nowMono - this.lastEvictLogMs < LOG_EVERY_MS) return;
    this.log.warn(`outbox ${why}: evicted oldest entries`, {
      count: this.evictedSinceLog,
      totalEvicted: this.store.stats().evicted,
    });
    this.lastEvictLogMs = nowMono;
    this.evictedSinceLog = 0;
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

function stampOf(m: RecordMeta): TimeStamp {
  return { wallMs: m.createdWallMs, monoMs: m.createdMonoMs, bootId: m.bootId };
}

/**
 * The wall time at which `stamp` was taken, corrected for any wall-clock jump since then:
 * same boot: `now.wallMs - (now.monoMs - stamp.monoMs)`; another boot: `stamp.wallMs` as stored.
 */
export function correctedWallMs(stamp: TimeStamp, now: TimeStamp): number {
  if (stamp.bootId !== now.bootId) return stamp.wallMs;
  return now.wallMs - (now.monoMs - stamp.monoMs);
}

/**
 * Time elapsed since `stamp`, immune to wall-clock jumps within a boot: same boot: monotonic
 * difference; another boot: wall difference. Clamped at 0 (a clock set backwards never yields a
 * negative age).
 */
export function elapsedMs(stamp: TimeStamp, now: TimeStamp): number {
  const d = stamp.bootId === now.bootId ? now.monoMs - stamp.monoMs : now.wallMs - stamp.wallMs;
  return d > 0 ? d : 0;
}
