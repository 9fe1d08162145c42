/**
 * A small cache of open file descriptors (read fds of segments, append fds of ack files), so
 * reading back and acknowledging do not open and close a file per record, while the number of
 * open files stays bounded however many segments a long backlog spans. Tracks which fds have
 * unsynced writes: those are fsynced before being closed. Ack files' writes are tracked apart, so
 * that their fsync can be batched less often than the segments' (file-store.ts says why).
 */
import type { Logger } from '../util/log.js';
import type { FileOps, OpenFlags } from './file-ops.js';
import { renewedIfEmpty } from '../util/young-collections.js';

export class FdCache {
  /**
   * key `path|flags` → fd and when it was last used. A use counter, not Map reordering: a delete
   * and a set per use would rehash the table every few uses (util/young-collections.ts).
   */
  private readonly open = new Map<string, { readonly fd: number; used: number }>();
  private uses = 0;
  private dirty = new Set<number>();
  private dirtyAcks = new Set<number>();

  constructor(
    private readonly ops: FileOps,
    private readonly maxOpen: number,
    private readonly log: Logger,
  ) {}

  /** An fd for `path` opened with `flags`, opening it (and closing the least recently used) if needed. */
  async get(path: string, flags: OpenFlags): Promise<number> {
    const key = `${path}|${flags}`;
    const hit = this.open.get(key);
    if (hit !== undefined) {
      hit.used = ++this.uses;
      return hit.fd;
    }
    const fd = await this.ops.open(path, flags);
    this.open.set(key, { fd, used: ++this.uses });
    while (this.open.size > this.maxOpen) {
      const [oldKey, old] = this.leastRecentlyUsed();
      this.open.delete(oldKey);
      await this.closeFd(old.fd, true);
    }
    return fd;
  }

  /** Notes that `fd` has writes not yet fsynced (`ack`: acknowledgements, see `syncDirty`). */
  markDirty(fd: number, kind: 'data' | 'ack' = 'data'): void {
    (kind === 'ack' ? this.dirtyAcks : this.dirty).add(fd);
  }

  /** Whether some ack file has writes not yet fsynced. */
  get hasDirtyAcks(): boolean {
    return this.dirtyAcks.size > 0;
  }

  /** Fsyncs one fd if it is dirty. */
  async syncFd(fd: number): Promise<void> {
    const wasAck = this.dirtyAcks.delete(fd);
    const wasData = this.dirty.delete(fd);
    this.dirty = renewedIfEmpty(this.dirty);
    this.dirtyAcks = renewedIfEmpty(this.dirtyAcks);
    if (!wasData && !wasAck) return;
    try {
      await this.ops.fsync(fd);
    } catch (err) {
      this.log.error('outbox fsync failed; the last writes may not survive a power cut', { err });
    }
  }

  /** Fsyncs every dirty fd (cached or not, e.g. the active segment's); ack files too if `acks`. */
  async syncDirty(acks = true): Promise<void> {
    for (const fd of [...this.dirty]) await this.syncFd(fd);
    if (acks) for (const fd of [...this.dirtyAcks]) await this.syncFd(fd);
  }

  /** Closes the fds of `path` without syncing (the file is about to be deleted). */
  async drop(path: string): Promise<void> {
    for (const [key, { fd }] of [...this.open]) {
      if (key.slice(0, key.lastIndexOf('|')) !== path) continue;
      this.open.delete(key);
      await this.closeFd(fd, false);
    }
  }

  /** Syncs and closes everything. */
  async closeAll(): Promise<void> {
    for (const [key, { fd }] of [...this.open]) {
      this.open.delete(key);
      await this.closeFd(fd, true);
    }
  }

  private leastRecentlyUsed(): [string, { readonly fd: number; used: number }] {
    let oldest: [string, { readonly fd: number; used: number }] | undefined;
    for (const e of this.open) if (!oldest || e[1].used < oldest[1].used) oldest = e;
    if (!oldest) throw new Error('fd cache: nothing open'); // only called when over maxOpen
    return oldest;
  }

  private async closeFd(fd: number, sync: boolean): Promise<void> {
    if (sync) await this.syncFd(fd);
    else {
      this.dirty.delete(fd);
      this.dirtyAcks.delete(fd);
    }
    await this.ops.close(fd).catch((err: unknown) => {
      this.log.warn('outbox close failed', { err });
    });
  }
}
