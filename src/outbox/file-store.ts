/**
 * Durable outbox store: append-only segment files of length-prefixed, CRC-32-checked records in
 * one directory, acknowledgements in an ack file beside each segment, an in-memory index of
 * headers (payloads stay on disk). Format and recovery rules: record-codec.ts and README.md.
 *
 * Durability: a record is written (write(2), so into the kernel's page cache) before `append`
 * resolves, so a crash of the process loses nothing; fsyncs are batched every `fsyncIntervalMs`,
 * so a power cut loses at most that interval of records. Acks are fsynced at most once per
 * `ackFsyncIntervalMs` (default 5 s): an ack lost in a power cut means the record is sent again
 * (a duplicate the registrar refuses with `buffer.idempotentNames`), never lost, and at 10
 * readings/s that halves the fsyncs. Every I/O runs in one queue, in call order; concurrent
 * appends share one write, and so do the acks of the removals of one event-loop turn.
 *
 * A reading's way: `append` → segment-writer.ts (encodes and writes the frame, keeps it in memory)
 * and record-index.ts (its header); `peek` → the index, then the writer's memory, or for a
 * backlog segment-reader.ts (one read per run of records); `remove` → the writer's acks. Off
 * that way: start-up recovery (segment-recovery.ts), a full disk (space-reclaim.ts), quarantine.
 */
import { systemClock, type Clock } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { OutboxClosedError, OutboxRecordError } from './errors.js';
import { FdCache } from './fd-cache.js';
import { nodeFileOps, type FileOps } from './file-ops.js';
import { IdReservation } from './id-reservation.js';
import { QuarantineFile } from './quarantine-file.js';
import { dataFrameBytes, fitsFrame } from './record-codec.js';
import { RecordIndex } from './record-index.js';
import { openSegments, segmentBytesFor } from './segment-recovery.js';
import { SegmentReader } from './segment-reader.js';
import { SegmentWriter, type RecordToWrite } from './segment-writer.js';
import { ReserveFile } from './reserve-file.js';
import { reclaimOldestSegment } from './space-reclaim.js';
import {
  recordMeta,
  type EventCategory,
  type NewRecord,
  type OutboxStore,
  type QuarantinedRecord,
  type RecordFilter,
  type RecordMeta,
  type RemoveCause,
  type StoreStats,
  type StoredRecord,
} from './store.js';

export interface FileOutboxStoreOptions {
  /** Fsync batching interval (default 1000 ms); 0 fsyncs before every append resolves. */
  fsyncIntervalMs?: number;
  /**
   * A segment is closed and a new one started past this size (minimum 4 KiB). Default: 1/64 of the
   * filesystem, between 16 KiB and 4 MiB, so that on a small filesystem evicting the oldest
   * entries empties (and deletes) a segment long before the disk is full: deleting a segment is
   * what frees space.
   */
  segmentBytes?: number;
  /**
   * Acks are fsynced with the next batched fsync once this long (default 5000 ms, at least
   * `fsyncIntervalMs`) has passed since their last fsync; a power cut may lose that much of them.
   * With `fsyncIntervalMs` 0 they are fsynced before the removals resolve, like the appends.
   */
  ackFsyncIntervalMs?: number;
  /** Size of one quarantine generation (default 1 MiB; two are kept). */
  maxQuarantineBytes?: number;
  /** Ids reserved durably at a time, so ids are never reused even after a power cut (default 4096). */
  idReserveBlock?: number;
  /** The filesystem (tests inject faults here). */
  fileOps?: FileOps;
  /** Timers for the fsync batching and the quarantine timestamp (default the system clock). */
  clock?: Clock;
  logger?: Logger;
}

interface PendingAppend extends RecordToWrite {
  readonly resolve: (id: number) => void;
  readonly reject: (err: unknown) => void;
}

type Counters = Record<RemoveCause | 'quarantined' | 'torn' | 'corrupt', number>;

/** The durable {@link OutboxStore}; open it with {@link FileOutboxStore.open}. */
export class FileOutboxStore implements OutboxStore {
  private readonly ops: FileOps;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly ids: IdReservation;
  private readonly index = new RecordIndex();
  private readonly writer: SegmentWriter;
  private readonly reader: SegmentReader;
  private readonly reserve: ReserveFile;
  private readonly quarantineFile: QuarantineFile;
  private readonly counters: Counters = {
    ...{ delivered: 0, evicted: 0, expired: 0, replaced: 0, dropped: 0 },
    ...{ quarantined: 0, torn: 0, corrupt: 0 },
  };
  private nextId = 1;
  private pending: PendingAppend[] = [];
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    /** The directory holding the segments. */
    readonly dir: string,
    opts: FileOutboxStoreOptions,
  ) {
    this.ops = opts.fileOps ?? nodeFileOps;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'outbox-store' });
    this.ids = new IdReservation(this.ops, dir, Math.max(1, opts.idReserveBlock ?? 4096), this.log);
    const segmentBytes = Math.max(4096, opts.segmentBytes ?? 4 * 1024 * 1024);
    const fds = new FdCache(this.ops, 16, this.log);
    const fsyncIntervalMs = Math.max(0, opts.fsyncIntervalMs ?? 1000);
    this.reader = new SegmentReader(this.ops, fds, (no) => this.writer.get(no));
    this.writer = new SegmentWriter({
      ...{ ops: this.ops, fds, dir, segmentBytes, clock: this.clock, log: this.log },
      fsyncIntervalMs,
      ackFsyncIntervalMs: Math.max(fsyncIntervalMs, opts.ackFsyncIntervalMs ?? 5000),
      run: (fn) => this.run(fn),
      onDropped: (no) => {
        this.reader.forget(no);
      },
    });
    this.reserve = new ReserveFile(this.ops, dir, Math.max(4096, Math.floor(segmentBytes / 4)), this.log);
    const maxQ = opts.maxQuarantineBytes ?? 1024 * 1024;
    this.quarantineFile = new QuarantineFile(this.ops, dir, maxQ, this.log);
  }

  /** Opens (creating if needed) the store in `dir`: checks it is writable, replays and repairs it. */
  static async open(dir: string, opts: FileOutboxStoreOptions = {}): Promise<FileOutboxStore> {
    const segmentBytes = opts.segmentBytes ?? (await segmentBytesFor(dir));
    const store = new FileOutboxStore(dir, { ...opts, segmentBytes });
    const parts = { writer: store.writer, index: store.index, ids: store.ids, reserve: store.reserve };
    const { nextId, report } = await openSegments(store.ops, dir, store.log, parts);
    store.nextId = nextId;
    store.counters.torn = report.torn;
    store.counters.corrupt = report.corrupt;
    return store;
  }

  append(rec: NewRecord): Promise<number> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    if (!fitsFrame(rec))
      return Promise.reject(new OutboxRecordError(`record for "${rec.stream.slice(0, 64)}" too large`));
    const id = this.nextId++;
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ id, rec, resolve, reject });
      // Appends arriving while a write is in progress are coalesced into the next single write.
      if (this.pending.length === 1) void this.run(() => this.flushAppends());
    });
  }

  peek(n: number, filter?: RecordFilter): Promise<StoredRecord[]> {
    return this.run(async () => {
      const out: StoredRecord[] = [];
      const exclude = new Set<number>();
      while (out.length < n) {
        const ids = this.index.select(n - out.length, filter, exclude);
        if (ids.length === 0) break;
        const runs = this.index.runBytes(ids);
        for (let k = 0; k < ids.length; k++) {
          const id = ids[k] ?? 0;
          exclude.add(id);
          // Most records come from the read-ahead buffer: no I/O, and no promise to wait for.
          const rec = this.bufferedRecord(id) ?? (await this.readRecord(id, runs[k]));
          if (rec) out.push(rec);
        }
      }
      // `remove` acts at once, so one may have come while this read: do not hand out what is gone.
      return out.filter((r) => this.index.find(r.id) >= 0);
    });
  }

  scan(visit: (meta: RecordMeta) => boolean | undefined, filter?: RecordFilter): void {
    for (const pos of this.index.positions()) {
      if (this.index.passes(pos, filter) && visit(this.index.metaAt(pos)) === false) return;
    }
  }

  meta(id: number): RecordMeta | undefined {
    const pos = this.index.find(id);
    return pos < 0 ? undefined : this.index.metaAt(pos);
  }

  /**
   * Takes the records out of the index at once (so `peek`, `scan`, `meta` and `stats` no longer
   * see them) and resolves once their acks are written (write(2): a crash of the process after
   * that does not bring them back). Acks of all removals within one event-loop turn share one
   * write per segment; their fsync is batched like the appends' (a power cut may lose one
   * `fsyncIntervalMs` of acks: those records are delivered again, never lost).
   */
  remove(ids: Iterable<number>, cause: RemoveCause = 'delivered'): Promise<number> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const n = this.kill(ids, this.writer.unacked);
    this.counters[cause] += n;
    if (n === 0) return Promise.resolve(0);
    return this.writer.releaseSoon(n);
  }

  quarantine(id: number, reason: string): Promise<boolean> {
    return this.run(async () => {
      const rec = await this.readRecord(id);
      if (!rec) return false;
      await this.quarantineFile.add(rec, reason, this.clock.nowMs());
      await this.removeNow([id], 'quarantined');
      return true;
    });
  }

  readQuarantine(): Promise<QuarantinedRecord[]> {
    return this.run(() => this.quarantineFile.readAll());
  }

  sizeOf(rec: NewRecord): number {
    return dataFrameBytes(rec);
  }

  stats(): StoreStats {
    const first = this.index.positions().next();
    const { torn, ...c } = this.counters;
    return {
      depth: this.index.count,
      bytes: this.index.bytes,
      oldestCreatedWallMs: first.done ? undefined : this.index.metaAt(first.value).createdWallMs,
      byEc: {
        immediate: this.index.countOf('immediate'),
        bestEffort: this.index.countOf('bestEffort'),
        latest: this.index.countOf('latest'),
      },
      ...c,
      tornRecovered: torn,
    };
  }

  reclaimSpace(evictable: (id: number, ec: EventCategory) => boolean): Promise<number | undefined> {
    const parts = { index: this.index, writer: this.writer, reader: this.reader, reserve: this.reserve };
    const evict = (ids: readonly number[]): Promise<number> => this.removeNow(ids, 'evicted');
    return this.run(() => reclaimOldestSegment({ ...parts, log: this.log, evict }, evictable));
  }

  /** Segment files currently on disk (for status output and tests). */
  segmentCount(): number {
    return this.writer.count;
  }

  /** Approximate memory held by the in-memory index, in bytes. */
  indexMemoryBytes(): number {
    return this.index.memoryBytes;
  }

  sync(): Promise<void> {
    return this.run(() => this.writer.sync(true));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.writer.stop(); // queues the acks of the removals so far; no batched fsync after that
    const last = this.run(async () => {
      await this.writer.close();
      await this.quarantineFile.close().catch((err: unknown) => {
        this.log.warn('outbox close failed', { err });
      });
    });
    this.closed = true;
    await last;
  }

  // ---- internals ------------------------------------------------------------------------------

  private run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async flushAppends(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    let i = 0;
    try {
      const lastId = batch[batch.length - 1]?.id ?? 0;
      await this.ids.ensure(lastId);
      while (i < batch.length) {
        const count = await this.writer.append(batch, i, (a, segment, offset, sizeBytes) => {
          this.index.add(recordMeta(a.rec, a.id, sizeBytes), { segment, offset });
        });
        for (let k = i; k < i + count; k++) batch[k]?.resolve(batch[k]?.id ?? 0);
        i += count;
      }
    } catch (err) {
      for (let k = i; k < batch.length; k++) batch[k]?.reject(err);
    }
  }

  private async removeNow(ids: readonly number[], cause: keyof Counters): Promise<number> {
    const bySeg = new Map<number, number[]>();
    const n = this.kill(ids, bySeg);
    this.counters[cause] += n;
    await this.writer.release(bySeg);
    return n;
  }

  /** Takes held `ids` out of the index, noting them per segment in `bySeg`; returns how many were held. */
  private kill(ids: Iterable<number>, bySeg: Map<number, number[]>): number {
    let n = 0;
    for (const id of ids) {
      const pos = this.index.find(id);
      if (pos < 0) continue;
      const { segment } = this.index.kill(pos);
      this.writer.forget(id);
      const list = bySeg.get(segment);
      if (list) list.push(id);
      else bySeg.set(segment, [id]);
      n++;
    }
    return n;
  }

  /** A held record whose frame is in memory (just written, or read ahead) and intact; else undefined. */
  private bufferedRecord(id: number): StoredRecord | undefined {
    const pos = this.index.find(id);
    if (pos < 0) return undefined;
    const payload =
      this.writer.recentPayload(id) ??
      this.reader.bufferedPayload(this.index.locationAt(pos), this.index.sizeAt(pos), id);
    return payload && this.index.recordAt(pos, payload);
  }

  /** Reads a held record back; one failing its checksum now (disk rot) is dropped and counted. */
  private async readRecord(id: number, runBytes?: number): Promise<StoredRecord | undefined> {
    let pos = this.index.find(id);
    if (pos < 0) return undefined;
    const loc = this.index.locationAt(pos);
    const payload = await this.reader.payload(loc, this.index.sizeAt(pos), id, runBytes);
    pos = this.index.find(id); // `remove` may have taken it (and moved rows) meanwhile
    if (pos < 0) return undefined;
    // The header comes from the index (what was written), the payload as a copy of its own.
    if (payload) return this.index.recordAt(pos, payload);
    this.log.error('outbox record failed its checksum when read back; dropped', { id, ...loc });
    await this.removeNow([id], 'corrupt');
    return undefined;
  }
}
