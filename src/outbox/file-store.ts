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
 * appends share one write, and so do the acks of the removals of one event-loop turn. Draining
 * reads a run of contiguous records with one read (read-buffers.ts).
 */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../util/clock.js';
import { silentLogger, type Logger } from '../util/log.js';
import { OutboxClosedError, OutboxRecordError } from './errors.js';
import { nodeFileOps, type FileOps } from './file-ops.js';
import { IdReservation } from './id-reservation.js';
import { QuarantineFile } from './quarantine-file.js';
import { MAX_BODY_BYTES, dataFrameBytes, dataPayloadAt, encodeFrame } from './record-codec.js';
import { RecentFrames, copyOf } from './read-buffers.js';
import { RecordIndex } from './record-index.js';
import { recoverDirectory } from './segment-recovery.js';
import { SegmentSet, type FrameToWrite } from './segment-set.js';
import { ReserveFile } from './reserve-file.js';
import { reclaimOldestSegment, type ReclaimParts } from './space-reclaim.js';
import {
  metaOf,
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

interface PendingRemoval {
  readonly n: number;
  readonly resolve: (n: number) => void;
  readonly reject: (err: unknown) => void;
}

interface PendingAppend extends FrameToWrite {
  readonly rec: NewRecord;
  readonly resolve: (id: number) => void;
  readonly reject: (err: unknown) => void;
}

type Counters = Record<RemoveCause | 'quarantined' | 'torn' | 'corrupt', number>;

/** The durable {@link OutboxStore}; open it with {@link FileOutboxStore.open}. */
export class FileOutboxStore implements OutboxStore {
  private readonly ops: FileOps;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly fsyncIntervalMs: number;
  private readonly ackFsyncIntervalMs: number;
  private lastAckSyncMs = -Infinity;
  private readonly ids: IdReservation;
  private readonly index = new RecordIndex();
  private readonly segs: SegmentSet;
  private readonly reserve: ReserveFile;
  private readonly quarantineFile: QuarantineFile;
  /** The last appended frames, so sending a record just appended needs no read back. */
  private readonly recent = new RecentFrames();
  private readonly counters: Counters = {
    ...{ delivered: 0, evicted: 0, expired: 0, replaced: 0, dropped: 0 },
    ...{ quarantined: 0, torn: 0, corrupt: 0 },
  };
  private nextId = 1;
  private pending: PendingAppend[] = [];
  /** Removals whose acks are not written yet, and those acks by segment. */
  private removals: PendingRemoval[] = [];
  private unacked = new Map<number, number[]>();
  private ackFlushQueued = false;
  private queue: Promise<unknown> = Promise.resolve();
  private syncTimer: TimerHandle | undefined;
  private closed = false;

  private constructor(
    /** The directory holding the segments. */
    readonly dir: string,
    opts: FileOutboxStoreOptions,
  ) {
    this.ops = opts.fileOps ?? nodeFileOps;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.logger ?? silentLogger).child({ component: 'outbox-store' });
    this.fsyncIntervalMs = Math.max(0, opts.fsyncIntervalMs ?? 1000);
    this.ackFsyncIntervalMs = Math.max(this.fsyncIntervalMs, opts.ackFsyncIntervalMs ?? 5000);
    this.ids = new IdReservation(this.ops, dir, Math.max(1, opts.idReserveBlock ?? 4096), this.log);
    const segmentBytes = Math.max(4096, opts.segmentBytes ?? 4 * 1024 * 1024);
    this.segs = new SegmentSet(this.ops, dir, segmentBytes, this.log);
    this.reserve = new ReserveFile(this.ops, dir, Math.max(4096, Math.floor(segmentBytes / 4)), this.log);
    const maxQ = opts.maxQuarantineBytes ?? 1024 * 1024;
    this.quarantineFile = new QuarantineFile(this.ops, dir, maxQ, this.log);
  }

  /** Opens (creating if needed) the store in `dir`: checks it is writable, replays and repairs it. */
  static async open(dir: string, opts: FileOutboxStoreOptions = {}): Promise<FileOutboxStore> {
    const segmentBytes = opts.segmentBytes ?? (await segmentBytesFor(dir));
    const store = new FileOutboxStore(dir, { ...opts, segmentBytes });
    await store.recover();
    return store;
  }

  append(rec: NewRecord): Promise<number> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const tooBig =
      Buffer.byteLength(rec.bootId) > 0xff ||
      Buffer.byteLength(rec.stream) > 0xffff ||
      rec.payload.length > MAX_BODY_BYTES - 0x20000;
    if (tooBig)
      return Promise.reject(new OutboxRecordError(`record for "${rec.stream.slice(0, 64)}" too large`));
    const id = this.nextId++;
    const frame = encodeFrame(id, rec);
    return new Promise<number>((resolve, reject) => {
      this.pending.push({ id, rec, frame, resolve, reject });
      // Appends arriving while a write is in progress are coalesced into the next single write.
      if (this.pending.length === 1) void this.run(() => this.flushAppends());
    });
  }

  peek(n: number, filter?: RecordFilter): Promise<StoredRecord[]> {
    return this.run(async () => {
      const out: StoredRecord[] = [];
      const exclude = new Set<number>();
      while (out.length < n) {
        const ids = this.collectIds(n - out.length, filter, exclude);
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
      if (this.passes(pos, filter) && visit(this.index.metaAt(pos)) === false) return;
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
    const n = this.kill(ids, this.unacked);
    this.counters[cause] += n;
    if (n === 0) return Promise.resolve(0);
    return new Promise<number>((resolve, reject) => {
      this.removals.push({ n, resolve, reject });
      if (this.removals.length === 1)
        setImmediate(() => {
          this.queueAckFlush();
        });
    });
  }

  quarantine(id: number, reason: string): Promise<boolean> {
    return this.run(async () => {
      const rec = await this.readRecord(id);
      if (!rec) return false;
      try {
        await this.quarantineFile.append(encodeFrame(id, rec, { reason, atWallMs: this.clock.nowMs() }));
      } catch (err) {
        // Refused for good: it leaves the queue either way, and this log line keeps the trace.
        this.log.error('could not write the quarantine file; record dropped', {
          id,
          stream: rec.stream,
          reason,
          err,
        });
      }
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
    return this.run(() => reclaimOldestSegment(this.reclaimParts(), evictable));
  }

  /** Segment files currently on disk (for status output and tests). */
  segmentCount(): number {
    return this.segs.count;
  }

  /** Approximate memory held by the in-memory index, in bytes. */
  indexMemoryBytes(): number {
    return this.index.memoryBytes;
  }

  sync(): Promise<void> {
    return this.run(() => this.syncFiles(true));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.syncTimer) this.clock.clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    this.queueAckFlush();
    this.recent.clear();
    const last = this.run(async () => {
      await this.segs.close();
      await this.quarantineFile.close().catch((err: unknown) => {
        this.log.warn('outbox close failed', { err });
      });
    });
    this.closed = true;
    await last;
  }

  // ---- internals ------------------------------------------------------------------------------

  private reclaimParts(): ReclaimParts {
    return {
      index: this.index,
      segs: this.segs,
      reserve: this.reserve,
      log: this.log,
      evict: (ids) => this.removeNow(ids, 'evicted'),
    };
  }

  private run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new OutboxClosedError());
    const p = this.queue.then(fn);
    this.queue = p.catch(() => undefined);
    return p;
  }

  private async recover(): Promise<void> {
    const { maxId, report } = await recoverDirectory(this.ops, this.dir, this.log, (got) => {
      const seg = this.segs.add(got.name, got.firstId, got.fileBytes, got.ackBytes);
      for (const { meta, offset } of got.live) {
        if (meta.id > this.index.lastId) this.index.add(meta, { segment: seg.no, offset });
        else if (this.index.find(meta.id) >= 0)
          continue; // a second copy (space-reclaim.ts): never index twice
        else this.index.insert(meta, { segment: seg.no, offset }); // a record moved to a later segment
        seg.live++;
      }
    });
    this.counters.torn = report.torn;
    this.counters.corrupt = report.corrupt;
    this.nextId = Math.max(await this.ids.load(), maxId + 1, 1);
    try {
      await this.ids.ensure(this.nextId, this.nextId);
      await this.segs.start(this.nextId);
    } catch (err) {
      // A full disk must not stop the agent from starting: appends retry this (and policy evicts).
      this.log.warn('outbox could not prepare a new segment at start; will retry on append', { err });
    }
    await this.segs.deleteEmpty();
    await this.reserve.ensure();
    await this.segs.sync();
    this.log.info('outbox opened', {
      dir: this.dir,
      depth: this.index.count,
      bytes: this.index.bytes,
      segments: this.segs.count,
      ...report,
    });
  }

  private async flushAppends(): Promise<void> {
    const batch = this.pending;
    this.pending = [];
    let i = 0;
    try {
      const lastId = batch[batch.length - 1]?.id ?? 0;
      await this.ids.ensure(lastId);
      while (i < batch.length) {
        const { count, segment, offset } = await this.segs.writeSome(batch, i);
        for (let k = i, off = offset; k < i + count; k++) {
          const a = batch[k];
          if (!a) continue;
          this.index.add(metaOf({ ...a.rec, id: a.id, sizeBytes: a.frame.length }), {
            segment: segment.no,
            offset: off,
          });
          this.recent.add(a.id, a.frame);
          off += a.frame.length;
        }
        await this.afterWrite();
        for (let k = i; k < i + count; k++) batch[k]?.resolve(batch[k]?.id ?? 0);
        i += count;
      }
    } catch (err) {
      for (let k = i; k < batch.length; k++) batch[k]?.reject(err);
    }
  }

  /** Queues the write of the pending acks (once; removals arriving meanwhile join it). */
  private queueAckFlush(): void {
    if (this.removals.length === 0 || this.ackFlushQueued || this.closed) return;
    this.ackFlushQueued = true;
    void this.run(() => this.flushAcks());
  }

  /** Writes the pending acks, one write per segment touched, and resolves their removals. */
  private async flushAcks(): Promise<void> {
    this.ackFlushQueued = false;
    const [batch, bySeg] = [this.removals, this.unacked];
    this.removals = [];
    this.unacked = new Map();
    try {
      await this.release(bySeg);
    } catch (err) {
      for (const r of batch) r.reject(err);
      return;
    }
    for (const r of batch) r.resolve(r.n);
  }

  private async removeNow(ids: readonly number[], cause: keyof Counters): Promise<number> {
    const bySeg = new Map<number, number[]>();
    const n = this.kill(ids, bySeg);
    this.counters[cause] += n;
    await this.release(bySeg);
    return n;
  }

  /** Takes held `ids` out of the index, noting them per segment in `bySeg`; returns how many were held. */
  private kill(ids: Iterable<number>, bySeg: Map<number, number[]>): number {
    let n = 0;
    for (const id of ids) {
      const pos = this.index.find(id);
      if (pos < 0) continue;
      const { segment } = this.index.kill(pos);
      this.recent.forget(id);
      const list = bySeg.get(segment);
      if (list) list.push(id);
      else bySeg.set(segment, [id]);
      n++;
    }
    return n;
  }

  /** Writes the acks (one write per segment) or deletes emptied segments, then syncs or schedules it. */
  private async release(bySeg: ReadonlyMap<number, readonly number[]>): Promise<void> {
    for (const [no, list] of bySeg) await this.segs.release(no, list);
    if (bySeg.size > 0) await this.afterWrite();
  }

  /** Fsync now (`fsyncIntervalMs` 0) or make sure a batched fsync is scheduled. */
  private async afterWrite(): Promise<void> {
    if (this.fsyncIntervalMs === 0) {
      await this.syncFiles(true);
      return;
    }
    if (this.syncTimer || this.closed) return;
    this.syncTimer = this.clock.setTimeout(() => {
      this.syncTimer = undefined;
      if (this.closed) return;
      const acks = this.clock.monotonicMs() - this.lastAckSyncMs >= this.ackFsyncIntervalMs;
      this.run(async () => {
        await this.syncFiles(acks);
        // Acks left unsynced this time: a later batch takes them.
        if (this.segs.hasUnsyncedAcks) await this.afterWrite();
      }).catch((err: unknown) => {
        this.log.error('outbox fsync failed', { err });
      });
    }, this.fsyncIntervalMs);
    this.syncTimer.unref?.();
  }

  /**
   * Fsyncs the segments (and the ack files if `acks`). Synced frames leave the in-memory window:
   * from then on a record is read back from the file, checked against what is on disk.
   */
  private async syncFiles(acks: boolean): Promise<void> {
    if (acks) this.lastAckSyncMs = this.clock.monotonicMs();
    await this.segs.sync(acks);
    this.recent.clear();
  }

  private passes(pos: number, filter: RecordFilter | undefined): boolean {
    if (!filter) return true;
    if (filter.skip?.has(this.index.idAt(pos))) return false;
    if (filter.ec !== undefined && this.index.ecAt(pos) !== filter.ec) return false;
    if (filter.stream !== undefined && this.index.streamAt(pos) !== filter.stream) return false;
    if (filter.skipStreams?.has(this.index.streamAt(pos))) return false;
    return true;
  }

  private collectIds(n: number, filter: RecordFilter | undefined, exclude: ReadonlySet<number>): number[] {
    const ids: number[] = [];
    for (const pos of this.index.positions()) {
      if (ids.length >= n) break;
      const id = this.index.idAt(pos);
      if (!exclude.has(id) && this.passes(pos, filter)) ids.push(id);
    }
    return ids;
  }

  /**
   * A held record whose frame is in memory (just appended, or in the read-ahead buffer) and
   * intact; else undefined (use `readRecord`).
   */
  private bufferedRecord(id: number): StoredRecord | undefined {
    const pos = this.index.find(id);
    if (pos < 0) return undefined;
    const { segment, offset } = this.index.locationAt(pos);
    const frame = this.recent.get(id) ?? this.segs.buffered(segment, offset, this.index.sizeAt(pos));
    const payload = frame && dataPayloadAt(frame, 0, frame.length, id);
    return payload && this.index.recordAt(pos, copyOf(payload));
  }

  /** Reads a held record back; one failing its checksum now (disk rot) is dropped and counted. */
  private async readRecord(id: number, runBytes?: number): Promise<StoredRecord | undefined> {
    let pos = this.index.find(id);
    if (pos < 0) return undefined;
    const { segment, offset } = this.index.locationAt(pos);
    const frame = await this.segs.read(segment, offset, this.index.sizeAt(pos), runBytes);
    pos = this.index.find(id); // `remove` may have taken it (and moved rows) meanwhile
    if (pos < 0) return undefined;
    const payload = dataPayloadAt(frame, 0, frame.length, id);
    // The header comes from the index (what was written), the payload as a copy of its own.
    if (payload) return this.index.recordAt(pos, copyOf(payload));
    this.log.error('outbox record failed its checksum when read back; dropped', { id, segment, offset });
    await this.removeNow([id], 'corrupt');
    return undefined;
  }
}

const MIN_AUTO_SEGMENT_BYTES = 16 * 1024;
const MAX_AUTO_SEGMENT_BYTES = 4 * 1024 * 1024;

/** The default segment size for the filesystem holding `dir` (1/64 of it, 16 KiB to 4 MiB). */
async function segmentBytesFor(dir: string): Promise<number> {
  let totalBytes: number | undefined;
  for (const d of [dir, dirname(dir)]) {
    try {
      const st = await statfs(d);
      totalBytes = st.blocks * st.bsize;
      break;
    } catch {
      // not created yet: its parent is on the same filesystem
    }
  }
  if (totalBytes === undefined || !Number.isFinite(totalBytes) || totalBytes <= 0)
    return MAX_AUTO_SEGMENT_BYTES;
  const share = Math.floor(totalBytes / 64 / 4096) * 4096;
  return Math.min(MAX_AUTO_SEGMENT_BYTES, Math.max(MIN_AUTO_SEGMENT_BYTES, share));
}
