/**
 * systemd watchdog pings that reflect the agent's real health.
 *
 * A ping is sent only when (1) the event loop is responsive: the tick timer fired no later than
 * `maxLagMs` after it was due (a stuck loop fires no timer at all, so pings stop by themselves),
 * and (2) `healthCheck()` holds (the agent passes "state directory writable"). A link that is down
 * is *not* unhealthy: the agent must keep running and buffering.
 *
 * The timer is unref'd, so the watchdog alone never keeps the process alive.
 */
import { open, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { describeError } from './errors.js';
import { silentLogger, type Logger } from './log.js';

export interface WatchdogOptions {
  /** Ping period, normally `SdNotifier.watchdogIntervalMs` (half of `WatchdogSec=`). */
  intervalMs: number;
  /** Resolves false when it sent nothing (a previous ping still running). */
  notifier: { watchdogPing(): Promise<unknown> };
  /** True when healthy; a rejection or a throw counts as unhealthy (and is logged). */
  healthCheck: () => boolean | Promise<boolean>;
  /** A tick later than this (event loop blocked) sends no ping (default: `intervalMs / 2`). */
  maxLagMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** Counters for `status` and tests. */
export interface WatchdogState {
  /** Pings delivered (a ping the notifier skipped is not counted). */
  pings: number;
  skipped: number;
  /** Why the last tick sent no ping, if it did not. */
  lastSkipReason: 'lag' | 'unhealthy' | 'check-pending' | undefined;
  /** Timer lag of the last tick. */
  lastLagMs: number;
}

export interface Watchdog {
  stop(): void;
  state(): Readonly<WatchdogState>;
}

/** Starts ticking immediately (first check at once: systemd's watchdog runs from service start). */
export function startWatchdog(opts: WatchdogOptions): Watchdog {
  const { intervalMs, notifier, healthCheck } = opts;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0)
    throw new RangeError(`intervalMs must be > 0, got ${intervalMs}`);
  const clock = opts.clock ?? systemClock;
  const logger = (opts.logger ?? silentLogger).child({ component: 'watchdog' });
  const maxLagMs = opts.maxLagMs ?? intervalMs / 2;
  const st: WatchdogState = { pings: 0, skipped: 0, lastSkipReason: undefined, lastLagMs: 0 };
  let stopped = false;
  let checking = false;
  let handle: TimerHandle | undefined;

  const skip = (
    reason: NonNullable<WatchdogState['lastSkipReason']>,
    fields: Record<string, unknown>,
  ): void => {
    st.skipped++;
    // Log the transition into a bad state, not every tick.
    if (st.lastSkipReason !== reason) logger.warn('watchdog ping withheld', { reason, ...fields });
    st.lastSkipReason = reason;
  };

  const runCheck = async (): Promise<boolean> => {
    try {
      return await healthCheck();
    } catch (err) {
      logger.error('health check failed', { error: describeError(err) });
      return false;
    }
  };

  const tick = async (lagMs: number): Promise<void> => {
    st.lastLagMs = lagMs;
    if (lagMs > maxLagMs) {
      skip('lag', { lagMs: Math.round(lagMs), maxLagMs });
      return;
    }
    if (checking) {
      skip('check-pending', {});
      return;
    }
    checking = true;
    let healthy: boolean;
    try {
      healthy = await runCheck();
    } finally {
      checking = false;
    }
    if (stopped) return;
    if (!healthy) {
      skip('unhealthy', {});
      return;
    }
    if (st.lastSkipReason !== undefined) logger.info('watchdog pings resumed', { after: st.lastSkipReason });
    st.lastSkipReason = undefined;
    if ((await notifier.watchdogPing()) !== false) st.pings++;
  };

  const schedule = (delayMs: number): void => {
    const dueAt = clock.monotonicMs() + delayMs;
    handle = clock.setTimeout(() => {
      if (stopped) return;
      const lagMs = Math.max(0, clock.monotonicMs() - dueAt);
      schedule(intervalMs);
      tick(lagMs).catch((err: unknown) => {
        logger.error('watchdog tick failed', { error: describeError(err) });
      });
    }, delayMs);
    handle.unref?.();
  };
  schedule(0);

  return {
    stop: () => {
      stopped = true;
      if (handle !== undefined) clock.clearTimeout(handle);
    },
    state: () => ({ ...st }),
  };
}

/**
 * A health check for the watchdog: true when `dir` accepts a small write with fsync (a read-only
 * remount after SD card errors, a full disk or a dead card all make it false). Writes and deletes
 * `.watchdog-probe` in `dir`.
 */
export function writableDirCheck(dir: string, logger: Logger = silentLogger): () => Promise<boolean> {
  const probe = join(dir, '.watchdog-probe');
  let lastOk = true;
  return async () => {
    try {
      const fh = await open(probe, 'w', 0o600);
      try {
        await fh.writeFile('ok\n');
        await fh.sync();
      } finally {
        await fh.close();
      }
      await unlink(probe);
      lastOk = true;
      return true;
    } catch (err) {
      if (lastOk) logger.error('state directory is not writable', { dir, error: describeError(err) });
      lastOk = false;
      return false;
    }
  };
}
