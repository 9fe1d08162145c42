/**
 * A small file of zeros kept in the outbox directory while there is space: on a full disk it is
 * deleted to make room for moving the records that must stay out of a segment being freed
 * (space-reclaim.ts), and made again once that segment is gone.
 */
import type { Logger } from '../util/log.js';
import type { FileOps } from './file-ops.js';
import { unlinkLogged } from './segment-recovery.js';

/** The reserve file's name in the outbox directory. */
export const RESERVE_FILE = 'reserve';

export class ReserveFile {
  private held = false;
  private readonly path: string;

  constructor(
    private readonly ops: FileOps,
    dir: string,
    /** Its size: a quarter segment, at least 4 KiB (the store decides). */
    readonly bytes: number,
    private readonly log: Logger,
  ) {
    this.path = `${dir}/${RESERVE_FILE}`;
  }

  /** Deletes the file; returns the bytes that freed (0 if there was none). */
  async drop(): Promise<number> {
    if (!this.held) return 0;
    this.held = false;
    await unlinkLogged(this.ops, this.path, this.log);
    return this.bytes;
  }

  /** Makes the file if it is missing and there is room; a full disk just leaves it missing. */
  async ensure(): Promise<void> {
    if (this.held) return;
    let fd: number | undefined;
    try {
      // Left by the last run at full size: kept (no rewrite at every start, on an SD card).
      fd = await this.ops.open(this.path, 'r');
      this.held = (await this.ops.size(fd)) >= this.bytes;
    } catch {
      // missing: made below
    } finally {
      if (fd !== undefined) await this.ops.close(fd).catch(() => undefined);
      fd = undefined;
    }
    if (this.held) return;
    try {
      fd = await this.ops.open(this.path, 'w');
      await this.ops.write(fd, new Uint8Array(this.bytes));
      this.held = true;
    } catch {
      if (fd !== undefined) await this.ops.ftruncate(fd, 0).catch(() => undefined);
    } finally {
      if (fd !== undefined) await this.ops.close(fd).catch(() => undefined);
    }
    if (!this.held) await this.ops.unlink(this.path).catch(() => undefined);
  }
}
