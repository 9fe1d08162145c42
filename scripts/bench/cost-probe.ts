/**
 * Preloaded (`node --import`) into the processes the `cost` bench measures: counts fsync and
 * fdatasync calls (every entry point Node has: callback, sync and FileHandle) and answers the
 * bench's `probe` message over the IPC channel with that count and `process.resourceUsage()`
 * (getrusage of the whole process: CPU in µs, voluntary context switches of all threads).
 * No privileges and no strace needed, so it runs in CI; the process under test is not modified.
 */
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';

let fsyncs = 0;

type Fn = (...args: never[]) => unknown;
function counted<T extends Fn>(fn: T): T {
  return function (this: unknown, ...args: Parameters<T>): unknown {
    fsyncs++;
    return fn.apply(this, args);
  } as T;
}

fs.fsync = counted(fs.fsync);
fs.fsyncSync = counted(fs.fsyncSync);
fs.fdatasync = counted(fs.fdatasync);
fs.fdatasyncSync = counted(fs.fdatasyncSync);
syncBuiltinESMExports();
// FileHandle is not exported: reach its prototype through a handle on something always there.
const handle = await fs.promises.open(process.execPath, 'r');
const proto = Object.getPrototypeOf(handle) as { sync: Fn; datasync: Fn };
await handle.close();
proto.sync = counted(proto.sync);
proto.datasync = counted(proto.datasync);

/** What the probe answers. */
export interface ProbeReport {
  readonly fsyncs: number;
  readonly usage: NodeJS.ResourceUsage;
}

if (process.send) {
  process.on('message', (m: unknown) => {
    if (m !== 'probe') return;
    const report: ProbeReport = { fsyncs, usage: process.resourceUsage() };
    process.send?.(report);
  });
  // The channel must not keep the process alive, nor does it wake it up between probes.
  process.channel?.unref();
}
