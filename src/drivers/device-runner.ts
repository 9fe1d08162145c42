/**
 * `DeviceRunner` runs one device: opens its driver (retrying with backoff), samples it on its
 * schedule, passes on event readings, applies commands, and isolates every failure. A driver that
 * throws, hangs or returns garbage is counted and shown in `status()`; after repeated sample
 * failures it is closed and reopened with backoff; nothing it does reaches other devices or
 * crashes the process.
 */
import type {
  ActuatorCommand,
  Device,
  DeviceDriver,
  DeviceKind,
  DeviceStatus,
  DriverContext,
  Reading,
  RunnerState,
} from './types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { systemClock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import { AgentError, describeError } from '../util/errors.js';
import { doublingBackoff } from '../util/backoff.js';
import { DriverNotOpenError, NotAnActuatorError } from './errors.js';
import { callWithTimeout } from './timeout.js';
import { checkReadings } from './reading.js';
import { DeadbandFilter } from './deadband.js';
import type { SampleTrigger } from './trigger.js';
import { cronTrigger, intervalTrigger } from './trigger.js';

/** Backoff before reopen attempt `attempt` (0-based): 1 s doubling to 5 min, ±20 % jitter. */
export function driverOpenBackoffMs(attempt: number, random: () => number = Math.random): number {
  return doublingBackoff({ floorMs: 1000, capMs: 300_000, jitter: 0.2, random })(attempt);
}

/** How long `stop` waits for a sample under way. */
const STOP_SAMPLE_GRACE_MS = 5_000;

/** What a `DeviceRunner` needs. */
export interface DeviceRunnerOptions {
  /** Device name (logs, errors). */
  name: string;
  /**
   * The driver, or how to create it at `start` (the registry's `createDriver`): a creation error
   * (unknown driver, bad params) is then counted in `status` and thrown by `start`.
   */
  driver: DeviceDriver | (() => DeviceDriver);
  /** Default: `actuator` when the driver has `actuate`, else `sensor` (the agent passes its configuration's). */
  kind?: DeviceKind;
  /** Six-field cron expression (seconds first); absent with no `intervalMs`: event-driven only. */
  sample?: string;
  /** Sample every this many ms on `clock` instead of a cron expression. */
  intervalMs?: number;
  /** Overrides `sample`/`intervalMs` (tests). */
  trigger?: SampleTrigger;
  /** Report-on-change: see `DeadbandFilter`. Absent: every reading is reported. */
  deadband?: number;
  /** Receives readings to upload (or give it to `start`). A throw here is logged, never propagated. */
  onReadings?: (readings: readonly Reading[]) => void;
  clock?: Clock;
  log?: Logger;
  /** Limit for one `open` (default 30 s). */
  openTimeoutMs?: number;
  /** Limit for one `sample` (default 30 s). */
  sampleTimeoutMs?: number;
  /** Limit for one `actuate` (default 10 s). */
  actuateTimeoutMs?: number;
  /** Consecutive sample failures after which the driver is closed and reopened (default 5). */
  reopenAfterFailures?: number;
  /** Backoff between open attempts (default `driverOpenBackoffMs`). */
  openBackoffMs?: (attempt: number) => number;
}

/** Runs one device's driver; see the file comment. */
export class DeviceRunner implements Device {
  readonly name: string;
  readonly kind: DeviceKind;
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly filter: DeadbandFilter;
  private driver: DeviceDriver | undefined;
  private trigger: SampleTrigger | undefined;
  private onReadings: ((readings: readonly Reading[]) => void) | undefined;
  private state: RunnerState = 'idle';
  private generation = 0;
  private attempt = 0;
  private failures = 0;
  private retryTimer: TimerHandle | undefined;
  private sampling = false;
  private current: Promise<readonly Reading[]> | undefined;
  private errors = 0;
  private delivered = 0;
  private lastReadings: readonly Reading[] = [];
  private lastError: { text: string; code: string | undefined; atMs: number } | undefined;
  private lastErrorKind: string | undefined;
  private lastWarnMonoMs = -Infinity;

  constructor(private readonly opts: DeviceRunnerOptions) {
    this.name = opts.name;
    this.clock = opts.clock ?? systemClock;
    this.log = (opts.log ?? silentLogger).child({ device: opts.name });
    this.filter = new DeadbandFilter(opts.deadband);
    this.onReadings = opts.onReadings;
    if (typeof opts.driver !== 'function') this.driver = opts.driver;
    this.kind = opts.kind ?? (typeof this.driver?.actuate === 'function' ? 'actuator' : 'sensor');
  }

  /** True when the driver takes commands. */
  get isActuator(): boolean {
    return typeof this.driver?.actuate === 'function';
  }

  /**
   * Opens the driver (in the background, retrying) and starts the schedule. Throws only when the
   * driver or the schedule cannot even be created; that failure is counted in `status`.
   */
  start(onReadings?: (readings: readonly Reading[]) => void): void {
    if (this.state !== 'idle') return;
    if (onReadings) this.onReadings = onReadings;
    try {
      this.driver ??= (this.opts.driver as () => DeviceDriver)();
      this.trigger = this.createTrigger();
    } catch (err) {
      this.countError(err); // the agent logs it
      throw err;
    }
    this.trigger?.start(() => {
      void this.sampleNow();
    });
    void this.openDriver(this.driver);
  }

  private createTrigger(): SampleTrigger | undefined {
    const o = this.opts;
    if (o.trigger) return o.trigger;
    if (o.intervalMs !== undefined) return intervalTrigger(o.intervalMs, this.clock);
    return o.sample === undefined ? undefined : cronTrigger(o.sample, this.log);
  }

  /** Samples now; resolves with the readings delivered (after the deadband), never rejects. */
  async sampleNow(): Promise<readonly Reading[]> {
    const driver = this.driver;
    if (this.state !== 'running' || !driver?.sample) return [];
    if (this.sampling) {
      this.log.debug('previous sample still running, skipped');
      return [];
    }
    this.sampling = true;
    const gen = this.generation;
    const done = this.sampleOnce(driver, gen);
    this.current = done;
    return done;
  }

  private async sampleOnce(driver: DeviceDriver, gen: number): Promise<readonly Reading[]> {
    try {
      if (!driver.sample) return [];
      const sample = driver.sample.bind(driver);
      const readings = checkReadings(await this.timed(sample, this.opts.sampleTimeoutMs ?? 30_000, 'sample'));
      if (gen !== this.generation) return [];
      this.failures = 0;
      return this.deliver(readings, true);
    } catch (err) {
      if (gen !== this.generation) return [];
      this.recordError(err, 'sample failed');
      if (++this.failures >= (this.opts.reopenAfterFailures ?? 5)) {
        this.log.warn('driver keeps failing, reopening', { failures: this.failures });
        this.failures = 0;
        void this.restart(driver);
      }
      return [];
    } finally {
      this.sampling = false;
    }
  }

  /**
   * Applies a command and delivers the resulting state (past the deadband: every change of an
   * actuator is reported). Rejects with a named error when it failed; the failure is counted.
   */
  async actuate(cmd: ActuatorCommand): Promise<readonly Reading[]> {
    const driver = this.driver;
    if (!driver)
      throw new Error(
        `device ${this.name} is not running${this.lastError ? `: ${this.lastError.text}` : ''}`,
      );
    if (!driver.actuate) throw new NotAnActuatorError(this.opts.name);
    if (this.state !== 'running') throw new DriverNotOpenError(this.opts.name);
    try {
      const actuate = driver.actuate.bind(driver);
      const readings = checkReadings(
        await this.timed(() => actuate(cmd), this.opts.actuateTimeoutMs ?? 10_000, 'command'),
      );
      return this.deliver(readings, false);
    } catch (err) {
      this.recordError(err, 'command failed');
      throw err;
    }
  }

  /** The device's state for `status`. */
  status(): DeviceStatus {
    return {
      state: this.state,
      errors: this.errors,
      delivered: this.delivered,
      ...(this.lastReadings.length > 0
        ? { lastReading: this.lastReadings[this.lastReadings.length - 1], lastReadings: this.lastReadings }
        : {}),
      ...(this.lastError
        ? {
            lastError: this.lastError.text,
            ...(this.lastError.code === undefined ? {} : { lastErrorCode: this.lastError.code }),
            lastErrorAtMs: this.lastError.atMs,
          }
        : {}),
    };
  }

  /** Stops the schedule and retries and closes the driver. */
  async stop(): Promise<void> {
    if (this.state === 'stopped') return;
    // A sample under way is let finish and delivered (bounded): the driver may already have
    // advanced its state (the sim counter), and dropping its reading would leave a gap.
    this.trigger?.stop();
    if (this.sampling && this.current) {
      let timer: TimerHandle | undefined;
      await Promise.race([
        this.current,
        new Promise<void>((resolve) => {
          timer = this.clock.setTimeout(resolve, STOP_SAMPLE_GRACE_MS);
        }),
      ]);
      if (timer) this.clock.clearTimeout(timer);
    }
    if ((this.state as RunnerState) === 'stopped') return; // a concurrent stop() finished first
    const wasOpen = this.state === 'running';
    this.state = 'stopped';
    this.generation++;
    this.trigger?.stop();
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    if (wasOpen && this.driver) await this.closeDriver(this.driver);
  }

  private async openDriver(driver: DeviceDriver): Promise<void> {
    const gen = ++this.generation;
    this.state = 'opening';
    try {
      await this.timed(() => driver.open(this.context(gen)), this.opts.openTimeoutMs ?? 30_000, 'open');
    } catch (err) {
      if (gen !== this.generation) return;
      this.recordError(err, 'open failed');
      await this.closeDriver(driver); // release whatever a half-done open holds
      if (gen === this.generation) this.scheduleRetry(driver); // unless stop() ran meanwhile
      return;
    }
    if (gen !== this.generation) {
      // stopped (or restarted) while opening: the open we just finished is not wanted
      await this.closeDriver(driver);
      return;
    }
    this.state = 'running';
    this.attempt = 0;
    this.log.info('device open');
  }

  private scheduleRetry(driver: DeviceDriver): void {
    const delayMs = (this.opts.openBackoffMs ?? driverOpenBackoffMs)(this.attempt++);
    this.state = 'backingOff';
    this.log.debug('retrying open', { delayMs, attempt: this.attempt });
    this.retryTimer = this.clock.setTimeout(() => {
      this.retryTimer = undefined;
      if (this.state === 'backingOff') void this.openDriver(driver);
    }, delayMs);
  }

  private async restart(driver: DeviceDriver): Promise<void> {
    this.generation++;
    this.state = 'backingOff'; // no samples or commands reach the driver while it closes
    await this.closeDriver(driver);
    if ((this.state as RunnerState) === 'stopped') return; // stop() may have run meanwhile
    this.scheduleRetry(driver);
  }

  private async closeDriver(driver: DeviceDriver): Promise<void> {
    try {
      await this.timed(() => driver.close(), 10_000, 'close');
    } catch (err) {
      this.log.warn('driver close failed', { err: describeError(err) });
    }
  }

  /** The context handed to `open`; events from an older generation (before a reopen) are ignored. */
  private context(gen: number): DriverContext {
    return {
      emit: (readings) => {
        if (gen !== this.generation) return;
        try {
          this.deliver(checkReadings(readings), true);
        } catch (err) {
          this.recordError(err, 'bad event readings');
        }
      },
      fault: (err) => {
        if (gen === this.generation) this.recordError(err, 'driver fault');
      },
      log: this.log,
      clock: this.clock,
    };
  }

  private deliver(readings: readonly Reading[], filtered: boolean): Reading[] {
    if (readings.length > 0) this.lastReadings = readings;
    let out: Reading[];
    if (filtered) {
      out = this.filter.filter(readings);
    } else {
      this.filter.note(readings);
      out = [...readings];
    }
    if (out.length === 0) return out;
    this.delivered += out.length;
    try {
      this.onReadings?.(out);
    } catch (err) {
      this.log.error('reading consumer failed', { err: describeError(err) });
    }
    return out;
  }

  private countError(err: unknown): { text: string; code: string | undefined } {
    this.errors++;
    const code = err instanceof AgentError ? err.code : undefined;
    const text = describeError(err);
    this.lastError = { text, code, atMs: this.clock.nowMs() };
    return { text, code };
  }

  private recordError(err: unknown, what: string): void {
    const { text, code } = this.countError(err);
    const kind = code ?? text;
    const mono = this.clock.monotonicMs();
    // The first failure of a kind is a warning; repeats of it are debug lines, at most one warning a minute.
    const loud = kind !== this.lastErrorKind || mono - this.lastWarnMonoMs >= 60_000;
    this.lastErrorKind = kind;
    if (loud) {
      this.lastWarnMonoMs = mono;
      this.log.warn(what, { err: text, errors: this.errors });
    } else {
      this.log.debug(what, { err: text, errors: this.errors });
    }
  }

  private timed<T>(fn: () => T | Promise<T>, timeoutMs: number, what: string): Promise<T> {
    return callWithTimeout(this.clock, fn, timeoutMs, `${this.opts.name}: ${what}`);
  }
}
