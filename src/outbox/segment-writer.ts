/**
 * The file store's write path: encodes each record into its frame (record-codec.ts) and appends
 * it to the active segment, rotating at `segmentBytes`; keeps the frames just written in memory
 * (`RecentFrames`: the uplink sends a reading right after it is appended, without a read back);
 * writes the acks of removed records beside their segment; fsyncs what it wrote, batched every
 * `fsyncIntervalMs` (acks every `ackFsyncIntervalMs`; file-store.ts says why). Creating, rotating
 * and deleting the files is segment-files.ts; reading older records back is segment-reader.ts.
 * Not concurrency-safe by itself: the store calls it from its single operation queue.
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { OutboxNoSpaceError, mapError } from './errors.js';
import type { FdCache } from './fd-cache.js';
import type { FileOps } from './file-ops.js';
import { ACK_ENTRY_BYTES, SEGMENT_MAGIC, dataPayloadAt, encodeAcks, encodeFrame } from './record-codec.js';
import { SegmentFiles, type Segment } from './segment-files.js';
import type { NewRecord } from './store.js';
import { renewedIfEmpty } from '../util/young-collections.js';

export type { Segment } from './segment-files.js';

/** A record waiting to be written; the writer encodes it once, on its first write attempt. */
export interface RecordToWrite {
  readonly id: number;
  readonly rec: NewRecord;
  frame?: Uint8Array;
}

/** Where a written record landed: called once per record, in order, after its write. */
export type Placed = (r: RecordToWrite, segment: number, offset: number, frameBytes: number) => void;

export interface SegmentWriterOptions {
  readonly ops: FileOps;
  readonly fds: FdCache;
  readonly dir: string;
  readonly segmentBytes: number;
  /** 0: fsync before every append or removal resolves. */
  readonly fsyncIntervalMs: number;
  readonly ackFsyncIntervalMs: number;
  readonly clock: Clock;
  readonly log: Logger;
  /** The store's operation queue: a batched fsync runs in it, in turn with the writes. */
  readonly run: (fn: () => Promise<void>) => Promise<void>;
  /** A segment's bytes are gone or cut back (all segments: none given); read-ahead over them goes. */
  readonly onDropped: (no?: number) => void;
}

export class SegmentWriter extends SegmentFiles {
  /** The last appended frames, so sending a record just appended needs no read back. */
  private readonly recent = new RecentFrames();
  private syncTimer: TimerHandle | undefined;
  private lastAckSyncMs = -Infinity;
  private stopped = false;
  /** Ids removed whose acks are not written yet, by segment (the store adds to it; `releaseSoon`). */
  unacked = new Map<number, number[]>();
  /** The removals waiting for those acks. */
  private ackWaiters: { n: number; resolve: (n: number) => void; reject: (err: unknown) => void }[] = [];
  private ackFlushQueued = false;

  constructor(private readonly o: SegmentWriterOptions) {
    super(o.ops, o.fds, o.dir, o.log, o.onDropped);
  }

  /**
   * Writes `batch[from..]`, as many as fit in the active segment, in one write (rotating first if
   * the active segment is full or broken), keeps their frames as recent, and fsyncs or schedules
   * it; `placed` learns where each landed. Returns how many were written; on failure nothing of
   * this call remains in the file and the error is thrown.
   */
  async append(batch: readonly RecordToWrite[], from: number, placed: Placed): Promise<number> {
    const first = batch[from];
    if (!first) throw new RangeError('append: nothing to write');
    const firstFrame = (first.frame ??= encodeFrame(first.id, first.rec));
    const seg = this.active;
    const full =
      seg && seg.fileBytes > SEGMENT_MAGIC.length && seg.fileBytes + firstFrame.length > this.o.segmentBytes;
    if (!seg || this.activeFd === undefined || this.activeBroken || full) await this.start(first.id);
    const fileBytes = this.active?.fileBytes ?? 0;
    let to = from + 1;
    let bytes = firstFrame.length;
    for (let r = batch[to]; r; r = batch[++to]) {
      const frame = (r.frame ??= encodeFrame(r.id, r.rec));
      if (fileBytes + bytes + frame.length > this.o.segmentBytes) break;
      bytes += frame.length;
    }
    const chunk = new Uint8Array(bytes);
    for (let k = from, p = 0; k < to; k++) {
      const frame = batch[k]?.frame ?? new Uint8Array(0);
      chunk.set(frame, p);
      p += frame.length;
    }
    const at = await this.appendBytes(chunk, 'appending a record');
    at.seg.live += to - from;
    for (let k = from, off = at.offset; k < to; k++) {
      const r = batch[k];
      if (!r?.frame) continue;
      placed(r, at.seg.no, off, r.frame.length);
      this.recent.add(r.id, r.frame);
      off += r.frame.length;
    }
    await this.afterWrite();
    return to - from;
  }

  /**
   * Writes `chunk` at the end of the active segment (past `segmentBytes` if need be: space-reclaim.ts
   * moves copies of held records there). On failure the partial write is cut off, so the next
   * frame starts where expected, and the error is thrown.
   */
  async appendBytes(chunk: Uint8Array, what: string): Promise<{ seg: Segment; offset: number }> {
    const seg = this.active;
    const fd = this.activeFd;
    if (!seg || fd === undefined || this.activeBroken)
      throw new OutboxNoSpaceError(`no segment to write to (${what})`);
    try {
      await this.ops.write(fd, chunk);
    } catch (err) {
      await this.ops.ftruncate(fd, seg.fileBytes).catch((e: unknown) => {
        this.activeBroken = true;
        this.log.warn('could not trim a failed outbox write; starting a new segment', { err: e });
      });
      throw mapError(what, err);
    }
    const offset = seg.fileBytes;
    seg.fileBytes += chunk.length;
    this.fds.markDirty(fd);
    return { seg, offset };
  }

  /**
   * The payload of record `id` if its frame is among those just written (checked against its CRC
   * like a read back), as a copy of its own; else undefined.
   */
  recentPayload(id: number): Uint8Array | undefined {
    const frame = this.recent.get(id);
    const payload = frame && dataPayloadAt(frame, 0, frame.length, id);
    return payload && copyOf(payload);
  }

  /** Record `id` left the queue: its frame need not stay in memory. */
  forget(id: number): void {
    this.recent.forget(id);
  }

  /**
   * Records that the ids (by segment) are gone: writes their acks (one write per segment) or
   * deletes segments they emptied, then fsyncs or schedules it.
   */
  async release(bySeg: ReadonlyMap<number, readonly number[]>): Promise<void> {
    for (const [no, ids] of bySeg) {
      const seg = this.segments.get(no);
      if (!seg) continue;
      seg.live -= ids.length;
      if (seg.live <= 0 && seg !== this.active) await this.delete(seg);
      else await this.writeAcks(seg, ids);
    }
    if (bySeg.size > 0) await this.afterWrite();
  }

  /**
   * {@link release}, batched: the caller has added `n` removed ids to `unacked`; the acks of all
   * removals within one event-loop turn share one write per segment. Resolves with `n` once
   * they are written.
   */
  releaseSoon(n: number): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.ackWaiters.push({ n, resolve, reject });
      if (this.ackWaiters.length === 1)
        setImmediate(() => {
          this.queueAckFlush();
        });
    });
  }

  /**
   * Fsyncs now every file with unsynced writes (ack files only if `acks`). Synced frames leave the
   * recent window: from then on a record is read back from the file, checked against the disk.
   */
  async sync(acks = true): Promise<void> {
    if (acks) this.lastAckSyncMs = this.o.clock.monotonicMs();
    await this.syncFiles(acks);
    this.recent.clear();
  }

  /** The store is closing: the acks pending are queued, then no batched fsync (`close` syncs what is left). */
  stop(): void {
    this.queueAckFlush();
    this.stopped = true;
    if (this.syncTimer) this.o.clock.clearTimeout(this.syncTimer);
    this.syncTimer = undefined;
    this.recent.clear();
  }

  /** Syncs and closes every file. */
  async close(): Promise<void> {
    this.stop();
    await this.closeFiles();
  }

  /** Queues the write of the pending acks (once; removals arriving meanwhile join it). */
  private queueAckFlush(): void {
    if (this.ackWaiters.length === 0 || this.ackFlushQueued || this.stopped) return;
    this.ackFlushQueued = true;
    void this.o.run(() => this.flushAcks());
  }

  /** Writes the pending acks, one write per segment touched, and resolves their removals. */
  private async flushAcks(): Promise<void> {
    this.ackFlushQueued = false;
    const [waiters, bySeg] = [this.ackWaiters, this.unacked];
    this.ackWaiters = [];
    this.unacked = new Map();
    try {
      await this.release(bySeg);
    } catch (err) {
      for (const w of waiters) w.reject(err);
      return;
    }
    for (const w of waiters) w.resolve(w.n);
  }

  /** Fsync now (`fsyncIntervalMs` 0) or make sure a batched fsync is scheduled. */
  private async afterWrite(): Promise<void> {
    if (this.o.fsyncIntervalMs === 0) {
      await this.sync(true);
      return;
    }
    if (this.syncTimer || this.stopped) return;
    this.syncTimer = this.o.clock.setTimeout(() => {
      this.syncTimer = undefined;
      if (this.stopped) return;
      const acks = this.o.clock.monotonicMs() - this.lastAckSyncMs >= this.o.ackFsyncIntervalMs;
      this.o
        .run(async () => {
          await this.sync(acks);
          // Acks left unsynced this time: a later batch takes them.
          if (this.fds.hasDirtyAcks) await this.afterWrite();
        })
        .catch((err: unknown) => {
          this.log.error('outbox fsync failed', { err });
        });
    }, this.o.fsyncIntervalMs);
    this.syncTimer.unref?.();
  }

  private async writeAcks(seg: Segment, ids: readonly number[]): Promise<void> {
    const all = seg.pendingAcks.length > 0 ? seg.pendingAcks.concat(ids) : [...ids];
    let fd: number | undefined;
    try {
      fd = await this.fds.get(seg.ackPath, 'a');
      await this.ops.write(fd, encodeAcks(all));
      seg.ackBytes += all.length * ACK_ENTRY_BYTES;
      seg.pendingAcks = [];
      this.fds.markDirty(fd, 'ack');
    } catch (err) {
      seg.pendingAcks = all;
      if (fd !== undefined) await this.ops.ftruncate(fd, seg.ackBytes).catch(() => undefined);
      // Not fatal: the removal holds in memory; if the process dies first the records are resent.
      this.log.warn('could not record acknowledgements; will retry', {
        segment: seg.path,
        count: all.length,
        err,
      });
    }
  }
}

/** At most this many frames are kept... */
export const RECENT_MAX_FRAMES = 64;
/** ...and at most this many bytes of them. */
export const RECENT_MAX_BYTES = 64 * 1024;

/**
 * The frames of the last few appended records, kept in memory after their write so the uplink,
 * which usually sends a reading right after it is appended, gets it without reading it back
 * from the file (one thread-pool round trip per reading otherwise). Bounded by count and bytes
 * whatever the backlog: older records come from the file (segment-reader.ts). A frame here
 * is the exact bytes written (ids are never reused, so an id cannot name another record), and it
 * is still checked against its CRC when served.
 */
export class RecentFrames {
  /** id → frame, oldest first. */
  private frames = new Map<number, Uint8Array>();
  private bytes = 0;

  /** Keeps the frame of record `id` (just written), forgetting the oldest past the bounds. */
  add(id: number, frame: Uint8Array): void {
    if (frame.length > RECENT_MAX_BYTES) return;
    this.frames.set(id, frame);
    this.bytes += frame.length;
    while (this.frames.size > RECENT_MAX_FRAMES || this.bytes > RECENT_MAX_BYTES) {
      const first = this.frames.entries().next();
      if (first.done) break;
      this.forget(first.value[0]);
    }
  }

  get(id: number): Uint8Array | undefined {
    return this.frames.get(id);
  }

  /** Drops the frame of `id` (the record left the queue). */
  forget(id: number): void {
    const f = this.frames.get(id);
    if (!f) return;
    this.frames.delete(id);
    this.bytes -= f.length;
    this.frames = renewedIfEmpty(this.frames);
  }

  clear(): void {
    this.frames = new Map(); // not clear(): util/young-collections.ts
    this.bytes = 0;
  }

  get size(): number {
    return this.frames.size;
  }
}

/**
 * A copy of `bytes` that does not pin the buffer it came from. Carved from Node's shared
 * allocation pool: about 4x cheaper than `slice` for records of a few hundred bytes.
 */
export function copyOf(bytes: Uint8Array): Uint8Array {
  const b = Buffer.allocUnsafe(bytes.length);
  b.set(bytes);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
