/**
 * How an entry gets into the store: within `maxBytes` (evicting by event category), `latest`
 * replacing the stream's older unsent entries, and a full disk met by evicting and retrying. Most
 * appends need none of it and go straight to the store, which writes the appends of one tick
 * (devices sampled together) in one write; the others run one at a time in call order, after the
 * direct appends before them are written (only written records can be evicted).
 */
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { OutboxFullError, OutboxNoSpaceError } from './errors.js';
import { evictForSpace, pickVictims } from './eviction.js';
import type { NewRecord, OutboxStore } from './store.js';

export interface AdmissionOptions {
  readonly maxBytes: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** Entries the uplink has in flight: never evicted or replaced. */
  readonly inFlight: () => ReadonlySet<number>;
  /** Called once per stored entry (listeners, waiters). */
  readonly appended: (id: number) => void;
}

const LOG_EVERY_MS = 60_000;

export class Admission {
  /** Appends that make room first, in call order; `queuedAppends` of them not done. */
  private appendChain: Promise<unknown> = Promise.resolve();
  private queuedAppends = 0;
  /** The store write of the latest direct append (settled: all are) and the bytes not yet written. */
  private lastDirectWrite: Promise<unknown> = Promise.resolve();
  private unwrittenBytes = 0;
  /** Appends refused with `OUTBOX_FULL`, and entries evicted because the disk was full. */
  refusedFull = 0;
  evictedForSpace = 0;
  private lastEvictLogMs = -Infinity;
  private evictedSinceLog = 0;
  /** Appends are being refused (logged once per change). */
  private refusing = false;
  private refusedSinceAccepted = 0;
  /** `ec:depth:bytes` when reclaiming space last found nothing for that category. */
  private readonly reclaim: { unreclaimable?: string } = {};

  constructor(
    private readonly store: OutboxStore,
    private readonly o: AdmissionOptions,
  ) {}

  /** Stores `rec` durably and resolves with its id once written (see the file comment). */
  append(rec: NewRecord): Promise<number> {
    if (this.queuedAppends === 0 && rec.ec !== 'latest') {
      const bytes = this.store.sizeOf(rec);
      if (this.storedBytes() + bytes <= this.o.maxBytes) return this.appendDirect(rec, bytes);
    }
    return this.enqueue(() => this.appendNow(rec));
  }

  /** Resolves once every append started so far has settled. */
  async settled(): Promise<void> {
    await this.lastDirectWrite;
    await this.appendChain;
  }

  /** Bytes stored plus those of direct appends not yet written: what `maxBytes` bounds. */
  private storedBytes(): number {
    return this.store.stats().bytes + this.unwrittenBytes;
  }

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
        this.o.appended(id);
        return id;
      },
      (err: unknown) => {
        this.unwrittenBytes -= bytes;
        if (!(err instanceof OutboxNoSpaceError)) throw err;
        return this.enqueue(async () => {
          const id = await this.appendWithSpaceRetry(rec);
          this.o.appended(id);
          return id;
        });
      },
    );
    // Registered after `run`'s handlers: a retry is queued before this settles.
    this.lastDirectWrite = write.catch(() => undefined);
    return run;
  }

  private async appendNow(rec: NewRecord): Promise<number> {
    // `latest`: older unsent entries of the stream are superseded; their room counts as free.
    const inFlight = this.o.inFlight();
    const superseded: number[] = [];
    let supersededBytes = 0;
    if (rec.ec === 'latest') {
      this.store.scan(
        (m) => {
          if (!inFlight.has(m.id)) {
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
    this.o.appended(id);
    return id;
  }

  /** Evicts, oldest first in category order, until `needBytes` more fit under `maxBytes`. */
  private async makeRoom(rec: NewRecord, needBytes: number, spare: ReadonlySet<number>): Promise<void> {
    const ec = rec.ec;
    const over = this.storedBytes() + needBytes - this.o.maxBytes;
    if (over <= 0) return;
    const inFlight = this.o.inFlight();
    const keep = (id: number): boolean => inFlight.has(id) || spare.has(id);
    const victims = pickVictims(this.store, ec, keep, (_, bytes) => bytes >= over);
    if (victims.bytes < over) {
      this.refuse(rec, `maxBytes reached, nothing of lower or equal priority than "${ec}" to evict`);
      throw new OutboxFullError(
        `outbox full (${this.o.maxBytes} bytes) and nothing of lower or equal priority than "${ec}" to evict`,
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
        const inFlight = (id: number): boolean => this.o.inFlight().has(id);
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
    this.o.log.error(
      `outbox full: refusing new entries (${why}); logged once until entries are accepted again`,
      { stream: rec.stream, ec: rec.ec, maxBytes: this.o.maxBytes },
    );
  }

  private noteAccepted(): void {
    if (!this.refusing) return;
    this.refusing = false;
    this.o.log.info('outbox accepting entries again', { refused: this.refusedSinceAccepted });
    this.refusedSinceAccepted = 0;
  }

  /** One log line per minute at most while evictions continue, with the count since the last line. */
  private noteEvicted(n: number, why: string): void {
    this.evictedSinceLog += n;
    const nowMono = this.o.clock.monotonicMs();
    if (nowMono - this.lastEvictLogMs < LOG_EVERY_MS) return;
    this.o.log.warn(`outbox ${why}: evicted oldest entries`, {
      count: this.evictedSinceLog,
      totalEvicted: this.store.stats().evicted,
    });
    this.lastEvictLogMs = nowMono;
    this.evictedSinceLog = 0;
  }
}
