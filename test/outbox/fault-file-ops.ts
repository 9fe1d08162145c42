/**
 * A FileOps over the real filesystem that can misbehave on purpose: a disk of limited size
 * (ENOSPC, with the short write a real disk does first), injected errors per operation, and a
 * power cut that throws away everything written since each file's last fsync.
 */
import { existsSync, truncateSync } from 'node:fs';
import { nodeFileOps, type FileOps, type OpenFlags } from '../../src/outbox/file-ops.js';

type OpName = keyof FileOps;

/** An error as Node's fs raises it. */
export function sysError(code: string, op: string): NodeJS.ErrnoException {
  const err: NodeJS.ErrnoException = new Error(`${code}: injected, ${op}`);
  err.code = code;
  return err;
}

export class FaultyFileOps implements FileOps {
  /** Total bytes the files this instance touched may hold; undefined: unlimited. */
  quotaBytes: number | undefined;
  /** Injected failures: the next matching calls of `op` (on a path matching `path`) throw `code`. */
  readonly failures: { op: OpName; code: string; path?: RegExp; times: number }[] = [];
  fsyncs = 0;
  /** Calls of `read`, and the path of every `write` (to count the I/O an operation costs). */
  reads = 0;
  readonly writes: string[] = [];
  private readonly inner: FileOps = nodeFileOps;
  private readonly fdPath = new Map<number, string>();
  private readonly sizes = new Map<string, number>();
  private readonly durable = new Map<string, number>();
  private dead = false;

  /** Makes the next `times` calls of `op` fail with `code`. */
  fail(op: OpName, code: string, opts: { path?: RegExp; times?: number } = {}): void {
    this.failures.push({ op, code, times: opts.times ?? 1, ...(opts.path ? { path: opts.path } : {}) });
  }

  /** Bytes currently held by the files this instance has seen. */
  usedBytes(): number {
    let n = 0;
    for (const v of this.sizes.values()) n += v;
    return n;
  }

  /** Power cut: every file falls back to its size at its last fsync; every later call fails with EIO. */
  cut(): void {
    for (const [path, size] of this.sizes) {
      if (existsSync(path)) truncateSync(path, Math.min(size, this.durable.get(path) ?? 0));
    }
    this.dead = true;
  }

  async mkdir(dir: string): Promise<void> {
    this.check('mkdir', dir);
    await this.inner.mkdir(dir);
  }
  async readdir(dir: string): Promise<string[]> {
    this.check('readdir', dir);
    return this.inner.readdir(dir);
  }
  async open(path: string, flags: OpenFlags): Promise<number> {
    this.check('open', path);
    const existed = existsSync(path);
    const fd = await this.inner.open(path, flags);
    this.fdPath.set(fd, path);
    const size = await this.inner.size(fd);
    this.sizes.set(path, size);
    // A file found on disk counts as durable as it is; a file created (or truncated) now does not.
    if (!this.durable.has(path) || flags === 'w') this.durable.set(path, existed && flags !== 'w' ? size : 0);
    return fd;
  }
  async close(fd: number): Promise<void> {
    this.fdPath.delete(fd);
    await this.inner.close(fd); // closing always works, also after a "power cut" (fds must not leak)
  }
  async read(fd: number, buf: Uint8Array, position: number): Promise<number> {
    this.check('read', this.fdPath.get(fd));
    this.reads++;
    return this.inner.read(fd, buf, position);
  }
  async write(fd: number, data: Uint8Array): Promise<void> {
    const path = this.fdPath.get(fd) ?? '?';
    this.check('write', path);
    this.writes.push(path);
    const room = this.quotaBytes === undefined ? Infinity : this.quotaBytes - this.usedBytes();
    if (data.length > room) {
      if (room > 0) {
        await this.inner.write(fd, data.subarray(0, room)); // the short write a full disk does first
        this.sizes.set(path, (this.sizes.get(path) ?? 0) + room);
      }
      throw sysError('ENOSPC', `write ${path}`);
    }
    await this.inner.write(fd, data);
    this.sizes.set(path, (this.sizes.get(path) ?? 0) + data.length);
  }
  async fsync(fd: number): Promise<void> {
    const path = this.fdPath.get(fd) ?? '?';
    this.check('fsync', path);
    await this.inner.fsync(fd);
    this.fsyncs++;
    this.durable.set(path, this.sizes.get(path) ?? 0);
  }
  async ftruncate(fd: number, length: number): Promise<void> {
    const path = this.fdPath.get(fd) ?? '?';
    this.check('ftruncate', path);
    await this.inner.ftruncate(fd, length);
    this.sizes.set(path, length);
    this.durable.set(path, Math.min(this.durable.get(path) ?? 0, length));
  }
  async size(fd: number): Promise<number> {
    this.check('size', this.fdPath.get(fd));
    return this.inner.size(fd);
  }
  async unlink(path: string): Promise<void> {
    this.check('unlink', path);
    await this.inner.unlink(path);
    this.sizes.delete(path);
    this.durable.delete(path);
  }
  async rename(from: string, to: string): Promise<void> {
    this.check('rename', from);
    await this.inner.rename(from, to);
    this.sizes.set(to, this.sizes.get(from) ?? 0);
    this.durable.set(to, this.durable.get(from) ?? 0);
    this.sizes.delete(from);
    this.durable.delete(from);
  }
  async fsyncDir(dir: string): Promise<void> {
    this.check('fsyncDir', dir);
    await this.inner.fsyncDir(dir);
  }

  private check(op: OpName, path: string | undefined): void {
    if (this.dead) throw sysError('EIO', `${op} after power cut`);
    const i = this.failures.findIndex((f) => f.op === op && (!f.path || f.path.test(path ?? '')));
    const f = this.failures[i];
    if (!f) return;
    if (--f.times <= 0) this.failures.splice(i, 1);
    throw sysError(f.code, `${op} ${path ?? ''}`);
  }
}
