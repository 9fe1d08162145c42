/**
 * The file store's segment files: the active one being appended to, older ones being drained,
 * their ack files, rotation at `segmentBytes`, and deletion once every record in a segment is
 * gone (deleting a file is the only thing that frees disk space, so it also works on a full disk).
 * Not concurrency-safe by itself: the store calls it from its single operation queue.
 */
import type { Logger } from '../util/log.js';
import { FdCache } from './fd-cache.js';
import { OutboxClosedError, OutboxIoError, OutboxNoSpaceError, errCode, isNoSpace } from './errors.js';
import type { FileOps } from './file-ops.js';
import { ACK_ENTRY_BYTES, SEGMENT_MAGIC, encodeAcks } from './record-codec.js';
import { ReadAhead } from './read-buffers.js';
import { ackFileName, segmentFileName, unlinkLogged } from './segment-recovery.js';

/** One segment file and its bookkeeping. */
export interface Segment {
  /** Process-local number (the index refers to segments by it). */
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

/** A frame waiting to be written. */
export interface FrameToWrite {
  readonly id: number;
  readonly frame: Uint8Array;
}

export class SegmentSet {
  private readonly segments = new Map<number, Segment>();
  private readonly fds: FdCache;
  private readonly ahead = new ReadAhead();
  private active: Segment | undefined;
  private activeFd: number | undefined;
  private activeBroken = false;
  private nextNo = 0;
  private dirDirty = false;

  constructor(
    private readonly ops: FileOps,
    private readonly dir: string,
    private readonly segmentBytes: number,
    private readonly log: Logger,
  ) {
    this.fds = new FdCache(ops, 16, log);
  }

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
    } catch (err) {
      throw mapError('starting a segment', err);
    }
    try {
      await this.ops.write(fd, SEGMENT_MAGIC);
    } catch (err) {
      await this.ops.close(fd).catch(() => undefined);
      await unlinkLogged(this.ops, path, this.log);
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
   * Writes `frames[from..]`, as many as fit in the active segment, in one write (rotating first
   * if the active segment is full or broken). Returns how many were written and where the first
   * landed; on failure nothing of this call remains in the file and the error is thrown.
   */
  async writeSome(
    frames: readonly FrameToWrite[],
    from: number,
  ): Promise<{ count: number; segment: Segment; offset: number }> {
    const first = frames[from];
    if (!first) throw new RangeError('writeSome: nothing to write');
    let seg = this.active;
    if (
      !seg ||
      this.activeFd === undefined ||
      this.activeBroken ||
      (seg.fileBytes > SEGMENT_MAGIC.length && seg.fileBytes + first.frame.length > this.segmentBytes)
    ) {
      await this.start(first.id);
      seg = this.active;
    }
    if (!seg || this.activeFd === undefined) throw new OutboxClosedError();
    let to = from + 1;
    let bytes = first.frame.length;
    for (
      let f = frames[to];
      f && seg.fileBytes + bytes + f.frame.length <= this.segmentBytes;
      f = frames[++to]
    ) {
      bytes += f.frame.length;
    }
    const chunk = new Uint8Array(bytes);
    for (let k = from, p = 0; k < to; k++) {
      const f = frames[k];
      if (f) chunk.set(f.frame, p);
      p += f?.frame.length ?? 0;
    }
    try {
      await this.ops.write(this.activeFd, chunk);
    } catch (err) {
      // A short write leaves part of a frame; cut it off so the next frame starts where expected.
      await this.ops.ftruncate(this.activeFd, seg.fileBytes).catch((e: unknown) => {
        this.activeBroken = true;
        this.log.warn('could not trim a failed outbox write; starting a new segment', { err: e });
      });
      throw mapError('appending a record', err);
    }
    const offset = seg.fileBytes;
    seg.fileBytes += bytes;
    seg.live += to - from;
    this.fds.markDirty(this.activeFd);
    return { count: to - from, segment: seg, offset };
  }

  /**
   * Writes frames (copies of held records, see space-reclaim.ts) to the end of the active segment,
   * past `segmentBytes` if need be (rotating would name a segment after an old id). Returns where
   * they landed; on failure nothing of them remains in the file.
   */
  async writeRelocated(chunk: Uint8Array): Promise<{ segment: number; offset: number }> {
    const seg = this.active;
    if (!seg || this.activeFd === undefined || this.activeBroken)
      throw new OutboxNoSpaceError('no segment to move records to');
    try {
      await this.ops.write(this.activeFd, chunk);
    } catch (err) {
      await this.ops.ftruncate(this.activeFd, seg.fileBytes).catch(() => {
        this.activeBroken = true;
      });
      throw mapError('moving records', err);
    }
    const offset = seg.fileBytes;
    seg.fileBytes += chunk.length;
    this.fds.markDirty(this.activeFd);
    return { segment: seg.no, offset };
  }

  /** `count` records of segment `from` now live in segment `to` (their copies). */
  moved(from: number, to: number, count: number): void {
    const a = this.segments.get(from);
    const b = this.segments.get(to);
    if (a) a.live -= count;
    if (b) b.live += count;
  }

  /**
   * Cuts the active segment back to its header when none of its records is held any more (on a
   * full disk, the only way to free its space without a new segment); true if that freed anything.
   */
  async truncateActiveIfEmpty(): Promise<boolean> {
    const seg = this.active;
    const fd = this.activeFd;
    if (!seg || fd === undefined || seg.live > 0 || seg.fileBytes <= SEGMENT_MAGIC.length) return false;
    this.ahead.clear(seg.no);
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

  /**
   * Reads `size` bytes at `offset` of segment `no` (fewer at the end of the file, none if it is
   * gone). `runBytes`: how many bytes from `offset` the caller is about to read in order (a run
   * of contiguous records); at least that much, or READ_AHEAD_BYTES, is read at once and kept, so
   * draining costs one read per run instead of one per record. The result may be a view of that
   * shared read buffer (never written to again): copy what is kept.
   */
  async read(no: number, offset: number, size: number, runBytes = size): Promise<Uint8Array> {
    const seg = this.segments.get(no);
    if (!seg) return new Uint8Array(0);
    const hit = this.buffered(no, offset, size);
    if (hit) return hit;
    const buf = new Uint8Array(this.ahead.span(offset, size, runBytes, seg.fileBytes));
    let n: number;
    try {
      n = await this.ops.read(await this.fds.get(seg.path, 'r'), buf, offset);
    } catch (err) {
      throw mapError('reading a record', err);
    }
    // Only bytes below the written end are kept: beyond it a later append may still land.
    this.ahead.set(no, offset, buf.subarray(0, Math.min(n, Math.max(0, seg.fileBytes - offset))));
    return buf.subarray(0, Math.min(n, size));
  }

  /** What `read` would return, if it is in the read-ahead buffer (no I/O, no promise). */
  buffered(no: number, offset: number, size: number): Uint8Array | undefined {
    return this.segments.has(no) ? this.ahead.get(no, offset, size) : undefined;
  }

  /** Deletes every segment without live records except the active one. */
  async deleteEmpty(): Promise<void> {
    for (const seg of this.all()) if (seg.live <= 0 && seg !== this.active) await this.delete(seg);
  }

  /** Whether some ack file has writes not yet fsynced. */
  get hasUnsyncedAcks(): boolean {
    return this.fds.hasDirtyAcks;
  }

  /** Fsyncs every file with unsynced writes (ack files only if `acks`), and the directory if entries changed. */
  async sync(acks = true): Promise<void> {
    await this.fds.syncDirty(acks);
    if (this.dirDirty) {
      this.dirDirty = false;
      await this.ops.fsyncDir(this.dir).catch((err: unknown) => {
        this.log.warn('outbox directory fsync failed', { err });
      });
    }
  }

  /** Syncs and closes every file. */
  async close(): Promise<void> {
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
    this.ahead.clear();
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
    this.ahead.clear(seg.no);
    await this.fds.drop(seg.path);
    await this.fds.drop(seg.ackPath);
    this.segments.delete(seg.no);
    // The segment goes first: without it its acks mean nothing, and a leftover ack file is cleaned at start.
    if (await unlinkLogged(this.ops, seg.path, this.log)) await unlinkLogged(this.ops, seg.ackPath, this.log);
    this.dirDirty = true;
  }
}

/** Maps a filesystem error to the store's named errors. */
export function mapError(what: string, err: unknown): Error {
  if (err instanceof OutboxClosedError || err instanceof OutboxNoSpaceError || err instanceof OutboxIoError) {
    return err;
  }
  if (isNoSpace(err)) return new OutboxNoSpaceError(`no space left ${what}`, err);
  return new OutboxIoError(what, err);
}
