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
  if (!Number.isFinite(opts.intervalMs) || opts.intervalMs <= 0)
    throw new RangeError(`intervalMs must be > 0, got ${opts.intervalMs}`);
  const watchdog = new TickingWatchdog(opts);
  watchdog.schedule(0);
  return watchdog;
}

/** A tick per interval: measure the timer's lag, run the health check, then ping or say why not. */
class TickingWatchdog implements Watchdog {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly maxLagMs: number;
  private readonly st: WatchdogState = { pings: 0, skipped: 0, lastSkipReason: undefined, lastLagMs: 0 };
  private stopped = false;
  private checking = false;
  private handle: TimerHandle | undefined;

  constructor(private readonly opts: WatchdogOptions) {
    this.clock = opts.clock ?? systemClock;
    this.logger = (opts.logger ?? silentLogger).child({ component: 'watchdog' });
    this.maxLagMs = opts.maxLagMs ?? opts.intervalMs / 2;
  }

  stop(): void {
    this.stopped = true;
    if (this.handle !== undefined) this.clock.clearTimeout(this.handle);
  }

  state(): Readonly<WatchdogState> {
    return { ...this.st };
  }

  schedule(delayMs: number): void {
    const dueAt = this.clock.monotonicMs() + delayMs;
    this.handle = this.clock.setTimeout(() => {
      if (this.stopped) return;
      const lagMs = Math.max(0, this.clock.monotonicMs() - dueAt);
      this.schedule(this.opts.intervalMs);
      this.tick(lagMs).catch((err: unknown) => {
        this.logger.error('watchdog tick failed', { error: describeError(err) });
      });
    }, delayMs);
    this.handle.unref?.();
  }

  private async tick(lagMs: number): Promise<void> {
    this.st.lastLagMs = lagMs;
    if (lagMs > this.maxLagMs) {
      this.skip('lag', { lagMs: Math.round(lagMs), maxLagMs: this.maxLagMs });
      return;
    }
    if (this.checking) {
      this.skip('check-pending', {});
      return;
    }
    this.checking = true;
    let healthy: boolean;
    try {
      healthy = await this.runCheck();
    } finally {
      this.checking = false;
    }
    if (this.stopped) return;
    if (!healthy) {
      this.skip('unhealthy', {});
      return;
    }
    if (this.st.lastSkipReason !== undefined)
      this.logger.info('watchdog pings resumed', { after: this.st.lastSkipReason });
    this.st.lastSkipReason = undefined;
    if ((await this.opts.notifier.watchdogPing()) !== false) this.st.pings++;
  }

  private async runCheck(): Promise<boolean> {
    try {
      return await this.opts.healthCheck();
    } catch (err) {
      this.logger.error('health check failed', { error: describeError(err) });
      return false;
    }
  }

  private skip(reason: NonNullable<WatchdogState['lastSkipReason']>, fields: Record<string, unknown>): void {
    this.st.skipped++;
    // Log the transition into a bad state, not every tick.
    if (this.st.lastSkipReason !== reason) this.logger.warn('watchdog ping withheld', { reason, ...fields });
    this.st.lastSkipReason = reason;
  }
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
