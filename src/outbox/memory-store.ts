/**
 * The in-memory {@link OutboxStore}: same contract as the file store, nothing survives the process.
 * For tests and for running without a state directory. `capacityBytes` simulates a disk that fills
 * up (appends fail with `OUTBOX_NO_SPACE`), so policy tests need no real filesystem.
 */
import { systemClock, type Clock } from '../util/clock.js';
import { OutboxClosedError, OutboxNoSpaceError } from './errors.js';
import { dataFrameBytes } from './record-codec.js';
import {
  matches,
  metaOf,
  type NewRecord,
  type QuarantinedRecord,
  type RecordFilter,
  type RecordMeta,
  type RemoveCause,
  type StoreStats,
  type StoredRecord,
  type OutboxStore,
} from './store.js';

export interface MemoryOutboxStoreOptions {
  /** Simulated space: an append that would exceed it fails with `OUTBOX_NO_SPACE` (default unlimited). */
  capacityBytes?: number;
  /** Quarantined records kept (default 100; the oldest go first). */
  maxQuarantined?: number;
  /** Clock for the quarantine timestamp. */
  clock?: Clock;
}

/** In-memory {@link OutboxStore}. */
export class MemoryOutboxStore implements OutboxStore {
  private readonly records = new Map<number, StoredRecord>(); // insertion order = id order
  private readonly quarantined: QuarantinedRecord[] = [];
  private readonly counters: Record<RemoveCause | 'quarantined', number> = {
    delivered: 0,
    evicted: 0,
    expired: 0,
    replaced: 0,
    dropped: 0,
    quarantined: 0,
  };
  private readonly byEc = { immediate: 0, bestEffort: 0, latest: 0 };
  private readonly clock: Clock;
  private nextId = 1;
  private bytes = 0;
  private closed = false;

  constructor(private readonly opts: MemoryOutboxStoreOptions = {}) {
    this.clock = opts.clock ?? systemClock;
  }

  /** Changes the simulated space (tests: "the disk fills up", "space was freed"). */
  setCapacityBytes(bytes: number | undefined): void {
    this.opts.capacityBytes = bytes;
  }

  append(rec: NewRecord): Promise<number> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const sizeBytes = this.sizeOf(rec);
    const cap = this.opts.capacityBytes;
    if (cap !== undefined && this.bytes + sizeBytes > cap) {
      return Promise.reject(new OutboxNoSpaceError(`simulated store full (${this.bytes}/${cap} bytes)`));
    }
    const id = this.nextId++;
    // Copy: the caller may reuse its buffer, and the file store does not keep it either.
    const { payload, ...header } = rec;
    this.records.set(id, { ...header, id, sizeBytes, payload: payload.slice() });
    this.bytes += sizeBytes;
    this.byEc[rec.ec]++;
    return Promise.resolve(id);
  }

  peek(n: number, filter?: RecordFilter): Promise<StoredRecord[]> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const out: StoredRecord[] = [];
    for (const r of this.records.values()) {
      if (out.length >= n) break;
      if (matches(r, filter)) out.push({ ...r, payload: r.payload.slice() });
    }
    return Promise.resolve(out);
  }

  scan(visit: (meta: RecordMeta) => boolean | undefined, filter?: RecordFilter): void {
    for (const r of [...this.records.values()]) {
      if (matches(r, filter) && visit(metaOf(r)) === false) return;
    }
  }

  meta(id: number): RecordMeta | undefined {
    const r = this.records.get(id);
    return r && metaOf(r);
  }

  remove(ids: Iterable<number>, cause: RemoveCause = 'delivered'): Promise<number> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    return Promise.resolve(this.removeNow(ids, cause));
  }

  quarantine(id: number, reason: string): Promise<boolean> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const r = this.records.get(id);
    if (!r) return Promise.resolve(false);
    this.quarantined.push({ ...r, reason, quarantinedAtWallMs: this.clock.nowMs() });
    if (this.quarantined.length > (this.opts.maxQuarantined ?? 100)) this.quarantined.shift();
    this.removeNow([id], 'quarantined');
    return Promise.resolve(true);
  }

  readQuarantine(): Promise<QuarantinedRecord[]> {
    return Promise.resolve([...this.quarantined]);
  }

  sizeOf(rec: NewRecord): number {
    return dataFrameBytes(rec); // the same measure as the file store, so policy behaves alike
  }

  stats(): StoreStats {
    const first = this.records.values().next();
    return {
      depth: this.records.size,
      bytes: this.bytes,
      oldestCreatedWallMs: first.done ? undefined : first.value.createdWallMs,
      byEc: { ...this.byEc },
      ...this.counters,
      tornRecovered: 0,
      corrupt: 0,
    };
  }

  sync(): Promise<void> {
    return this.closed ? Promise.reject(new OutboxClosedError()) : Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }

  private removeNow(ids: Iterable<number>, cause: RemoveCause | 'quarantined'): number {
    let n = 0;
    for (const id of ids) {
      const r = this.records.get(id);
      if (!r) continue;
      this.records.delete(id);
      this.bytes -= r.sizeBytes;
      this.byEc[r.ec]--;
      n++;
    }
    this.counters[cause] += n;
    return n;
  }
}
