/**
 * Crash-safe whole-file replacement: write a temporary file beside the target, fsync it, rename it
 * over the target, then fsync the directory so the rename itself survives a power cut. A reader
 * sees either the old content or the new one, never a mix or an empty file (POSIX rename(2) is
 * atomic within one filesystem). Used for state and status files and the outbox's id reservation.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { errCode } from './errors.js';

export interface AtomicWriteOptions {
  /**
   * File mode of the new file (default 0o640: state and status files are the service's and its
   * group's; the umask can only narrow it). E.g. 0o600 for secrets.
   */
  mode?: number;
  /** Skip the fsyncs (tests and throwaway files only: the result is then not power-cut safe). */
  noSync?: boolean;
}

function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/** Atomically replaces `path` with `data` (temp file + fsync + rename + fsync of the directory). */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): Promise<void> {
  const tmp = tempPathFor(path);
  let fh: fs.promises.FileHandle | undefined;
  try {
    fh = await fs.promises.open(tmp, 'w', opts.mode ?? 0o640);
    await fh.writeFile(data);
    if (!opts.noSync) await fh.sync();
    await fh.close();
    fh = undefined;
    await fs.promises.rename(tmp, path);
  } catch (err) {
    // Leave no temp file behind; the original error is what the caller needs to see.
    await fh?.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  if (!opts.noSync) await fsyncDir(dirname(path));
}

/** Synchronous twin of {@link writeFileAtomic}, for shutdown paths where the event loop is ending. */
export function writeFileAtomicSync(
  path: string,
  data: string | Uint8Array,
  opts: AtomicWriteOptions = {},
): void {
  const tmp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = fs.openSync(tmp, 'w', opts.mode ?? 0o640);
    fs.writeFileSync(fd, data);
    if (!opts.noSync) fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, path);
  } catch (err) {
    if (fd !== undefined) {
      try {
        fs.closeSync(fd);
      } catch {
        // already failing: the first error is the one to report
      }
    }
    fs.rmSync(tmp, { force: true });
    throw err;
  }
  if (!opts.noSync) fsyncDirSync(dirname(path));
}

/** Fsyncs a directory so that entries created, renamed or removed in it are durable. */
export async function fsyncDir(dir: string): Promise<void> {
  const fh = await fs.promises.open(dir, 'r');
  try {
    await fh.sync();
  } catch (err) {
    // Some filesystems (e.g. certain FUSE or network mounts) refuse fsync on a directory; the
    // rename has happened, only its durability is weaker there, so that one case is not fatal.
    if (errCode(err) !== 'EINVAL' && errCode(err) !== 'EISDIR') throw err;
  } finally {
    await fh.close();
  }
}

/** Synchronous twin of {@link fsyncDir}. */
export function fsyncDirSync(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } catch (err) {
    if (errCode(err) !== 'EINVAL' && errCode(err) !== 'EISDIR') throw err;
  } finally {
    fs.closeSync(fd);
  }
}
