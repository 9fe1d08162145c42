/**
 * The file store's segment files as files: which exist (registered at start-up), the active one
 * (created at start and at each rotation), deleting one once every record in it is gone
 * (deleting a file is the only thing that frees disk space, so it also works on a full disk),
 * emptying the active one on a full disk, closing. What goes into them is segment-writer.ts,
 * which extends this; none of this runs for a reading, except at a rotation or a deletion.
 */
import type { Logger } from '../util/log.js';
import { errCode, mapError } from './errors.js';
import type { FdCache } from './fd-cache.js';
import type { FileOps } from './file-ops.js';
import { SEGMENT_MAGIC } from './record-codec.js';
import { ackFileName, segmentFileName, unlinkLogged } from './segment-recovery.js';

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

export class SegmentFiles {
  protected readonly segments = new Map<number, Segment>();
  protected active: Segment | undefined;
  protected activeFd: number | undefined;
  /** A failed write could not be trimmed: the next append starts a new segment. */
  protected activeBroken = false;
  /** Directory entries changed since the last directory fsync. */
  protected dirDirty = false;
  private nextNo = 0;

  constructor(
    protected readonly ops: FileOps,
    protected readonly fds: FdCache,
    protected readonly dir: string,
    protected readonly log: Logger,
    /** Called when a segment's bytes are gone or cut back (all segments: none given), so read-ahead over them goes. */
    protected readonly onDropped: (no?: number) => void,
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

  /** Deletes every segment without live records except the active one. */
  async deleteEmpty(): Promise<void> {
    for (const seg of this.all()) if (seg.live <= 0 && seg !== this.active) await this.delete(seg);
  }

  /** Fsyncs every file with unsynced writes (ack files only if `acks`), and the directory if entries changed. */
  async syncFiles(acks = true): Promise<void> {
    await this.fds.syncDirty(acks);
    if (this.dirDirty) {
      this.dirDirty = false;
      await this.ops.fsyncDir(this.dir).catch((err: unknown) => {
        this.log.warn('outbox directory fsync failed', { err });
      });
    }
  }

  /** Syncs and closes every file. */
  protected async closeFiles(): Promise<void> {
    await this.syncFiles(true);
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

  protected async delete(seg: Segment): Promise<void> {
    this.onDropped(seg.no);
    await this.fds.drop(seg.path);
    await this.fds.drop(seg.ackPath);
    this.segments.delete(seg.no);
    // The segment goes first: without it its acks mean nothing, and a leftover ack file is cleaned at start.
    if (await unlinkLogged(this.ops, seg.path, this.log)) await unlinkLogged(this.ops, seg.ackPath, this.log);
    this.dirDirty = true;
  }
}
