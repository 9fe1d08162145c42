/**
 * The few filesystem calls the file store makes, behind an interface so tests can inject faults
 * (ENOSPC, EIO, a power cut that loses unsynced bytes) without touching the real disk's behaviour.
 */
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { fsyncDir } from '../util/atomic-file.js';

/** Open modes the store uses: read, append (create), exclusive-create append, read-write, create-or-truncate. */
export type OpenFlags = 'r' | 'a' | 'ax' | 'r+' | 'w';

/** Minimal fd-based filesystem operations. */
export interface FileOps {
  /** Creates the directory and its parents if missing. */
  mkdir(dir: string): Promise<void>;
  readdir(dir: string): Promise<string[]>;
  open(path: string, flags: OpenFlags): Promise<number>;
  close(fd: number): Promise<void>;
  /** Reads up to `buf.length` bytes at `position`; returns the count (short at end of file). */
  read(fd: number, buf: Uint8Array, position: number): Promise<number>;
  /** Writes all of `data` at the current position (always the end for fds opened with 'a'/'ax'). */
  write(fd: number, data: Uint8Array): Promise<void>;
  fsync(fd: number): Promise<void>;
  ftruncate(fd: number, length: number): Promise<void>;
  size(fd: number): Promise<number>;
  unlink(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  /** Fsyncs a directory so created, renamed and removed entries are durable. */
  fsyncDir(dir: string): Promise<void>;
}

const pOpen = promisify(fs.open);
const pClose = promisify(fs.close);
const pRead = promisify(fs.read);
const pWrite = promisify(fs.write);
const pFsync = promisify(fs.fsync);
const pFtruncate = promisify(fs.ftruncate);
const pFstat = promisify(fs.fstat);

/** Writes up to this size are made synchronously (see `nodeFileOps.write`). */
const SYNC_WRITE_MAX_BYTES = 16 * 1024;

/** The real filesystem. */
export const nodeFileOps: FileOps = {
  mkdir: async (dir) => {
    // Explicit modes (the umask may only narrow them): readings are the service's and its group's.
    await fs.promises.mkdir(dir, { recursive: true, mode: 0o750 });
  },
  readdir: (dir) => fs.promises.readdir(dir),
  open: (path, flags) => pOpen(path, flags, 0o640),
  close: (fd) => pClose(fd),
  read: async (fd, buf, position) => {
    let got = 0;
    while (got < buf.length) {
      const { bytesRead: n } = await pRead(fd, buf, got, buf.length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  },
  write: async (fd, data) => {
    // write(2) may be short (signals, quotas); loop until all is written or it throws.
    let done = 0;
    // A small write only copies into the page cache (microseconds); handing it to the thread pool
    // costs more than that in wake-ups and context switches, measured on a 2-core board while
    // draining (an ack write per response window). Large writes stay off the event loop.
    if (data.length <= SYNC_WRITE_MAX_BYTES) {
      while (done < data.length) done += fs.writeSync(fd, data, done, data.length - done, null);
      return;
    }
    while (done < data.length) done += (await pWrite(fd, data, done, data.length - done, null)).bytesWritten;
  },
  fsync: (fd) => pFsync(fd),
  ftruncate: (fd, length) => pFtruncate(fd, length),
  size: async (fd) => (await pFstat(fd)).size,
  unlink: (path) => fs.promises.unlink(path),
  rename: (from, to) => fs.promises.rename(from, to),
  fsyncDir,
};

/** Reads a whole file through `ops`. */
export async function readWholeFile(ops: FileOps, path: string): Promise<Uint8Array> {
  const fd = await ops.open(path, 'r');
  try {
    const buf = new Uint8Array(await ops.size(fd));
    const n = await ops.read(fd, buf, 0);
    return n === buf.length ? buf : buf.subarray(0, n);
  } finally {
    await ops.close(fd);
  }
}

/** Replaces a file atomically through `ops` (temp + fsync + rename + fsync dir), like util/atomic-file. */
export async function replaceFile(ops: FileOps, dir: string, name: string, data: Uint8Array): Promise<void> {
  const tmp = `${dir}/.${name}.tmp`;
  const fd = await ops.open(tmp, 'w');
  try {
    try {
      await ops.write(fd, data);
      await ops.fsync(fd);
    } finally {
      await ops.close(fd);
    }
    await ops.rename(tmp, `${dir}/${name}`);
  } catch (err) {
    await ops.unlink(tmp).catch(() => undefined); // best effort; a leftover temp is removed at the next start
    throw err;
  }
  await ops.fsyncDir(dir);
}
