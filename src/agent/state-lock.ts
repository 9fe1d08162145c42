/**
 * One agent per state directory: two processes appending to the same outbox would corrupt it.
 *
 * `stateDir/agent.pid` names the holder by PID *and* by the process start time (field 22 of
 * /proc/PID/stat, clock ticks since boot) plus the boot id, so a file left by a power cut or a
 * `kill -9` never blocks a start: after a reboot, or once the PID is reused, the record no longer
 * matches a live process. A kernel lock (flock) would be simpler but Node has none built in, and a
 * native addon for this alone is not worth it.
 *
 * Under the unit (`ProcSubset=pid`, `ProtectProc=invisible`) the boot id is unreadable and other
 * users' processes are hidden; a holder of our own uid is always visible to us, so a hidden PID
 * recorded by our uid is not the agent that wrote it.
 */
import { link, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AgentError } from '../util/errors.js';
import { kernelBootId } from '../util/clock-jump.js';

export class StateDirLockedError extends AgentError {
  override readonly name = 'StateDirLockedError';
  constructor(dir: string, pid: number) {
    super('STATE_DIR_LOCKED', `${dir} is in use by another m2m-agent (pid ${pid})`, {
      hint: 'stop the other agent (systemctl stop m2m-agent) or give this one another stateDir',
    });
  }
}

/** What the lock file records about its holder. Fields other than `pid` are absent in old files. */
export interface LockRecord {
  readonly pid: number;
  /** Field 22 of /proc/PID/stat (decimal string: it can exceed 2^53 in theory). */
  readonly startTicks?: string;
  readonly bootId?: string;
  readonly uid?: number;
}

/** The views of the system the lock decides with; injected in tests. */
export interface LockProbe {
  /** Start time of `pid` from /proc/PID/stat; undefined when the process is gone or hidden from us. */
  startTicks(pid: number): string | undefined;
  /** The kernel's boot id; undefined when unreadable (ProcSubset=pid). */
  bootId(): string | undefined;
  /** `process.kill(pid, 0)`: does any process have this PID (ours or another user's)? */
  exists(pid: number): boolean;
  /** /proc/PID/cmdline with NULs as spaces; undefined when gone or hidden. */
  cmdline(pid: number): string | undefined;
  readonly pid: number;
  readonly uid: number | undefined;
}

function readOrUndefined(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export const procLockProbe: LockProbe = {
  startTicks(pid) {
    const stat = readOrUndefined(`/proc/${pid}/stat`);
    if (stat === undefined) return undefined;
    // comm (field 2) is in parentheses and may contain spaces or ')': count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19]; // field 22; fields[0] is field 3
  },
  bootId: () => kernelBootId(),
  exists(pid) {
    try {
      process.kill(pid, 0);
      return true;
    } catch (err) {
      return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, another user's
    }
  },
  cmdline: (pid) => readOrUndefined(`/proc/${pid}/cmdline`)?.replaceAll('\0', ' '),
  pid: process.pid,
  uid: process.getuid?.(),
};

/** Parses the file: a PID line, then (since the boot-aware lock) a JSON line with the rest. */
export function parseLockRecord(text: string): LockRecord | undefined {
  const [pidLine = '', detailLine] = text.split('\n');
  const pid = Number(pidLine.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return undefined;
  if (detailLine === undefined || detailLine.trim() === '') return { pid };
  try {
    const d = JSON.parse(detailLine) as Record<string, unknown>;
    return {
      pid,
      ...(typeof d['startTicks'] === 'string' ? { startTicks: d['startTicks'] } : {}),
      ...(typeof d['bootId'] === 'string' ? { bootId: d['bootId'] } : {}),
      ...(typeof d['uid'] === 'number' ? { uid: d['uid'] } : {}),
    };
  } catch {
    return { pid };
  }
}

export function formatLockRecord(r: LockRecord): string {
  const { pid, ...rest } = r;
  return `${pid}\n${JSON.stringify(rest)}\n`;
}

/** The record this process writes. */
export function ownLockRecord(probe: LockProbe = procLockProbe): LockRecord {
  const startTicks = probe.startTicks(probe.pid);
  const bootId = probe.bootId();
  return {
    pid: probe.pid,
    ...(startTicks === undefined ? {} : { startTicks }),
    ...(bootId === undefined ? {} : { bootId }),
    ...(probe.uid === undefined ? {} : { uid: probe.uid }),
  };
}

/** True when the process the record names still runs: the lock is held. */
export function holderAlive(r: LockRecord, probe: LockProbe = procLockProbe): boolean {
  if (r.pid === probe.pid) return false; // our own PID: a leftover of an earlier life of this PID
  if (!probe.exists(r.pid)) return false;
  const currentBoot = probe.bootId();
  if (r.bootId !== undefined && currentBoot !== undefined && r.bootId !== currentBoot) return false;
  const ticks = probe.startTicks(r.pid);
  if (r.startTicks === undefined) {
    // A file from before the boot-aware lock: only a visible agent process counts.
    const cmd = probe.cmdline(r.pid);
    return cmd !== undefined && /m2m-agent|cli\/main\.[jt]s/.test(cmd);
  }
  if (ticks !== undefined) return ticks === r.startTicks;
  // Hidden from us (ProtectProc=invisible hides other users' processes). A holder of our own uid
  // would be visible, so a hidden one with our uid is a reused PID; of another uid: be careful.
  return r.uid === undefined || r.uid !== probe.uid;
}

/** Takes the lock; resolves with a release function. */
export async function lockStateDir(
  dir: string,
  probe: LockProbe = procLockProbe,
): Promise<() => Promise<void>> {
  const path = join(dir, 'agent.pid');
  const mine = formatLockRecord(ownLockRecord(probe));
  // Written aside, then hard-linked into place: link() fails with EEXIST instead of replacing, and
  // no reader ever sees a half-written file.
  const temp = join(dir, `agent.pid.${probe.pid}.tmp`);
  await writeFile(temp, mine, { mode: 0o644 });
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await link(temp, path);
        return async () => {
          // Only our own lock: never remove one another process took over.
          if ((await readFile(path, 'utf8').catch(() => '')) === mine) await rm(path, { force: true });
        };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const text = await readFile(path, 'utf8').catch(() => undefined);
      if (text === undefined) continue; // released meanwhile
      const held = parseLockRecord(text);
      if (held !== undefined && holderAlive(held, probe)) throw new StateDirLockedError(dir, held.pid);
      await takeAwayStale(path, text, probe.pid);
    }
  } finally {
    await rm(temp, { force: true });
  }
  throw new AgentError('STATE_DIR_LOCK_FAILED', `cannot take the lock ${path}`, {
    hint: 'another agent may be starting on the same state directory at the same moment; retry',
  });
}

/**
 * Moves a stale lock aside. Two agents may judge the same file stale at once: each renames to its
 * own name, and one that finds it moved a *fresh* lock (not the text it judged) puts it back.
 */
async function takeAwayStale(path: string, staleText: string, pid: number): Promise<void> {
  const aside = `${path}.stale.${pid}`;
  try {
    await rename(path, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const moved = await readFile(aside, 'utf8').catch(() => staleText);
  if (moved !== staleText) await link(aside, path).catch(() => undefined);
  await rm(aside, { force: true });
}
