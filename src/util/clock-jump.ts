/**
 * What wall-clock jump correction needs. A board without a real-time clock boots in 1970 (or at
 * its last saved time) and jumps years when NTP answers. Every stored time therefore carries a
 * monotonic reference (`bootClock`, util/clock.ts) and the id of the boot it was taken in: within
 * one boot the monotonic difference is the true elapsed time whatever the wall clock did; across a
 * reboot only the wall clock is left. The correction (`correctedWallMs`, `elapsedMs`) runs for every entry the
 * outbox hands to the uplink.
 */
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.js';

/** A point in time as stamped by the agent: wall ms, monotonic ms (boot-relative), and the boot. */
export interface TimeStamp {
  readonly wallMs: number;
  readonly monoMs: number;
  readonly bootId: string;
}

/** Linux's per-boot random id; a new value after every boot. */
export const BOOT_ID_PATH = '/proc/sys/kernel/random/boot_id';

let processFallbackBootId: string | undefined;

/**
 * Environment variable carrying the boot id where /proc hides it: the unit's `ProcSubset=pid`
 * hides /proc/sys, so systemd passes its `%b` specifier (the same id, without dashes) here.
 */
export const BOOT_ID_ENV = 'M2M_AGENT_BOOT_ID';

/** `%b` is 32 hex digits; the kernel file has the dashed UUID form. Stored stamps use the latter. */
function dashedBootId(text: string): string | undefined {
  const hex = text.trim().toLowerCase().replaceAll('-', '');
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The kernel's boot id from the file, else from {@link BOOT_ID_ENV}; undefined if neither has it. */
export function kernelBootId(
  path: string = BOOT_ID_PATH,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (id.length > 0) return id;
  } catch {
    // hidden or absent: the environment may carry it
  }
  return dashedBootId(env[BOOT_ID_ENV] ?? '');
}

/**
 * The kernel's boot id ({@link kernelBootId}). Where there is none (not Linux, restricted /proc,
 * no unit), returns an id unique to this process: times from earlier processes then count as
 * "another boot", which only loses the jump correction across restarts, never correctness within
 * one run.
 */
export function readBootId(path: string = BOOT_ID_PATH, env: NodeJS.ProcessEnv = process.env): string {
  const id = kernelBootId(path, env);
  if (id !== undefined) return id;
  processFallbackBootId ??= `process-${randomUUID()}`;
  return processFallbackBootId;
}

/** Takes a {@link TimeStamp} from `clock` for the given boot. */
export function stampNow(clock: Clock, bootId: string): TimeStamp {
  return { wallMs: clock.nowMs(), monoMs: clock.monotonicMs(), bootId };
}

/**
 * The wall time at which `stamp` was taken, corrected for any wall-clock jump since then:
 * same boot: `now.wallMs - (now.monoMs - stamp.monoMs)`; another boot: `stamp.wallMs` as stored.
 */
export function correctedWallMs(stamp: TimeStamp, now: TimeStamp): number {
  if (stamp.bootId !== now.bootId) return stamp.wallMs;
  return now.wallMs - (now.monoMs - stamp.monoMs);
}

/**
 * Time elapsed since `stamp`, immune to wall-clock jumps within a boot: same boot: monotonic
 * difference; another boot: wall difference. Clamped at 0 (a clock set backwards never yields a
 * negative age).
 */
export function elapsedMs(stamp: TimeStamp, now: TimeStamp): number {
  const d = stamp.bootId === now.bootId ? now.monoMs - stamp.monoMs : now.wallMs - stamp.wallMs;
  return d > 0 ? d : 0;
}
