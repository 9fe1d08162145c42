/**
 * The file store's write path: encodes each record into its frame (record-codec.ts) and appends
 * it to the active segment, rotating at `segmentBytes`; keeps the frames just written in memory
 * (`RecentFrames`: the uplink sends a reading right after it is appended, without a read back);
 * writes the acks of removed records beside their segment and deletes a segment once every record
 * in it is gone (deleting a file is the only thing that frees disk space, so it also works on a
 * full disk); fsyncs what it wrote when asked. Reading older records back is segment-reader.ts.
 * Not concurrency-safe by itself: the store calls it from its single operation queue.
 */
import type { Logger } from '../util/log.js';
import { OutboxNoSpaceError, errCode, mapError } from './errors.js';
import type { FdCache } from './fd-cache.js';
import type { FileOps } from './file-ops.js';
import { ACK_ENTRY_BYTES, SEGMENT_MAGIC, dataPayloadAt, encodeAcks, encodeFrame } from './record-codec.js';
import { ackFileName, segmentFileName, unlinkLogged } from './segment-recovery.js';
import type { NewRecord } from './store.js';

/** One segment file and its bookkeeping. */
export interface Segment {
  /** Process-local number (the index refers to segments by it; never reused). */
  readonly no: number;
  readonly firstId: number;
  readonly path: string;
  readonly ackPath: string;
  /** Records of this segment still held. */
  live: number;
  fileBytes: number;
  ackBytes: number;
  /** Acks that could not be written (disk full); retried with the next ones. */
  pendingAcks: number[];
}

/** A record waiting to be written; the writer encodes it once, on its first write attempt. */
export interface RecordToWrite {
  readonly id: number;
  readonly rec: NewRecord;
  frame?: Uint8Array;
}

/** Where a written record landed: called once per record, in order, after its write. */
export type Placed = (r: RecordToWrite, segment: number, offset: number, frameBytes: number) => void;

export class SegmentWriter {
  private readonly segments = new Map<number, Segment>();
  /** The last appended frames, so sending a record just appended needs no read back. */
  private readonly recent = new RecentFrames();
  private active: Segment | undefined;
  private activeFd: number | undefined;
  private activeBroken = false;
  private nextNo = 0;
  private dirDirty = false;

  constructor(
    private readonly ops: FileOps,
    private readonly fds: FdCache,
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly log: Logger,
    /** Called when a segment's bytes are gone or cut back (all segments: none given), so read-ahead over them goes. */
    private readonly onDropped: (no?: number) => void,
  ) {}

  get count(): number {
    return this.segments.size;
  }
  get(no: number): Segment | undefined {
    return this.segments.get(no);
  }
  all(): Segment[] {
    return [...this.segments.values()];
  }
  isActive(seg: Segment): boolean {
    return seg === this.active;
  }

  /** Registers a segment found on disk at start-up. */
  add(name: string, firstId: number, fileBytes: number, ackBytes: number): Segment {
    const seg: Segment = {
      no: this.nextNo++,
      firstId,
      path: `${this.dir}/${name}`,
      ackPath: `${this.dir}/${ackFileName(name)}`,
      live: 0,
      fileBytes,
      ackBytes,
      pendingAcks: [],
    };
    this.segments.set(seg.no, seg);
    return seg;
  }

  /** Starts a new active segment named after `firstId`; the previous one is synced and closed. */
  async start(firstId: number): Promise<void> {
    const name = segmentFileName(firstId);
    const path = `${this.dir}/${name}`;
    let fd: number;
    try {
      // Append mode: after a failed write is trimmed by ftruncate, the next write must land at the
      // new end, not at the old file position (which would leave a hole of zeros).
      fd = await this.ops.open(path, 'ax').catch(async (err: unknown) => {
        if (errCode(err) !== 'EEXIST') throw err;
        await this.ops.unlink(path); // a stale empty file: ids are never reused, so nothing of value
        return this.ops.open(path, 'ax');
      });
      await this.ops.write(fd, SEGMENT_MAGIC).catch(async (err: unknown) => {
        await this.ops.close(fd).catch(() => undefined);
        await unlinkLogged(this.ops, path, this.log);
        throw err;
      });
    } catch (err) {
      throw mapError('starting a segment', err);
    }
    const [old, oldFd] = [this.active, this.activeFd];
    this.active = this.add(name, firstId, SEGMENT_MAGIC.length, 0);
    this.activeFd = fd;
    this.activeBroken = false;
    this.dirDirty = true;
    this.fds.markDirty(fd);
    if (oldFd !== undefined) {
      await this.fds.syncFd(oldFd);
      await this.ops.close(oldFd).catch((err: unknown) => {
        this.log.warn('outbox close failed', { err });
      });
    }
    if (old?.live === 0) await this.delete(old);
  }

  /**
   * Writes `batch[from..]`, as many as fit in the active segment, in one write (rotating first if
   * the active segment is full or broken), and keeps their frames as recent; `placed` learns where
   * each landed. Returns how many were written; on failure nothing of this call remains in the
   * file and the error is thrown.
   */
  async append(batch: readonly RecordToWrite[], from: number, placed: Placed): Promise<number> {
    const first = batch[from];
    if (!first) throw new RangeError('append: nothing to write');
    const firstFrame = (first.frame ??= encodeFrame(first.id, first.rec));
    const seg = this.active;
    const full =
      seg && seg.fileBytes > SEGMENT_MAGIC.length && seg.fileBytes + firstFrame.length > this.segmentBytes;
    if (!seg || this.activeFd === undefined || this.activeBroken || full) await this.start(first.id);
    const fileBytes = this.active?.fileBytes ?? 0;
    let to = from + 1;
    let bytes = firstFrame.length;
    for (let r = batch[to]; r; r = batch[++to]) {
      const frame = (r.frame ??= encodeFrame(r.id, r.rec));
      if (fileBytes + bytes + frame.length > this.segmentBytes) break;
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
   * Cuts the active segment back to its header when none of its records is held any more (on a
   * full disk, the only way to free its space without a new segment); true if that freed anything.
   */
  async truncateActiveIfEmpty(): Promise<boolean> {
    const seg = this.active;
    const fd = this.activeFd;
    if (!seg || fd === undefined || seg.live > 0 || seg.fileBytes <= SEGMENT_MAGIC.length) return false;
    this.onDropped(seg.no);
    try {
      await this.ops.ftruncate(fd, SEGMENT_MAGIC.length);
    } catch (err) {
      this.activeBroken = true;
      throw mapError('emptying a segment', err);
    }
    seg.fileBytes = SEGMENT_MAGIC.length;
    this.fds.markDirty(fd);
    // Its acks name records no longer in the file: drop them too (a crash in between is harmless).
    seg.pendingAcks = [];
    if (seg.ackBytes > 0) {
      seg.ackBytes = 0;
      const ackFd = await this.fds.get(seg.ackPath, 'a');
      await this.ops.ftruncate(ackFd, 0).catch((err: unknown) => {
        this.log.warn('could not empty an ack file', { segment: seg.path, err });
      });
    }
    return true;
  }

  /** Records that `ids` of segment `no` are gone: deletes the segment when empty, else writes acks. */
  async release(no: number, ids: readonly number[]): Promise<void> {
    const seg = this.segments.get(no);
    if (!seg) return;
    seg.live -= ids.length;
    if (seg.live <= 0 && seg !== this.active) await this.delete(seg);
    else await this.writeAcks(seg, ids);
  }

  /** Deletes every segment without live records except the active one. */
  async deleteEmpty(): Promise<void> {
    for (const seg of this.all()) if (seg.live <= 0 && seg !== this.active) await this.delete(seg);
  }

  /** Whether some ack file has writes not yet fsynced. */
  get hasUnsyncedAcks(): boolean {
    return this.fds.hasDirtyAcks;
  }

  /**
   * Fsyncs every file with unsynced writes (ack files only if `acks`), and the directory if entries
   * changed. Synced frames leave the recent window: from then on a record is read back from the
   * file, checked against what is on disk.
   */
  async sync(acks = true): Promise<void> {
    await this.fds.syncDirty(acks);
    if (this.dirDirty) {
      this.dirDirty = false;
      await this.ops.fsyncDir(this.dir).catch((err: unknown) => {
        this.log.warn('outbox directory fsync failed', { err });
      });
    }
    this.recent.clear();
  }

  /** Syncs and closes every file. */
  async close(): Promise<void> {
    this.recent.clear();
    await this.sync();
    const fd = this.activeFd;
    this.activeFd = undefined;
    this.active = undefined;
    if (fd !== undefined) {
      await this.ops.close(fd).catch((err: unknown) => {
        this.log.warn('outbox close failed', { err });
      });
    }
    await this.fds.closeAll();
    this.onDropped();
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

  private async delete(seg: Segment): Promise<void> {
    this.onDropped(seg.no);
    await this.fds.drop(seg.path);
    await this.fds.drop(seg.ackPath);
    this.segments.delete(seg.no);
    // The segment goes first: without it its acks mean nothing, and a leftover ack file is cleaned at start.
    if (await unlinkLogged(this.ops, seg.path, this.log)) await unlinkLogged(this.ops, seg.ackPath, this.log);
    this.dirDirty = true;
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
  private readonly frames = new Map<number, Uint8Array>();
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
  }

  clear(): void {
    this.frames.clear();
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
