/**
 * An in-memory GPIO bank for tests and for trying configurations without a board. It mimics the
 * sysfs semantics onoff exposes: `activeLow` inverts reads, writes and edges; debounce reports a
 * change only after the line has been quiet for `debounceMs`, then re-reads the level and reports
 * it if it matches the watched edge (as onoff does with lodash.debounce).
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import { systemClock } from '../../util/clock.js';
import type { GpioEdge, GpioLevel, GpioOpenOptions, GpioOpener, GpioPin } from './gpio-pin.js';

interface Line {
  /** Electrical level. */
  physical: GpioLevel;
  pin?: FakeGpioPin;
}

/** A bank of fake lines addressed by sysfs number; `opener` plugs it into the drivers. */
export class FakeGpio {
  private readonly lines = new Map<number, Line>();
  /** Lines opened so far (sysfs numbers), to check the BCM mapping. */
  readonly opened: number[] = [];

  constructor(private readonly clock: Clock = systemClock) {}

  /** Opens a line like `OnoffGpio.open`; a line already open is refused like a busy pin. */
  readonly opener: GpioOpener = (n, opts) => {
    const line = this.line(n);
    if (line.pin && !line.pin.closed) return Promise.reject(new Error(`EBUSY: gpio ${n} already open`));
    const pin = new FakeGpioPin(line, opts, this.clock);
    line.pin = pin;
    this.opened.push(n);
    return Promise.resolve(pin);
  };

  /** Drives an input line from outside (a button, a PIR sensor): the electrical level. */
  drive(n: number, physical: GpioLevel): void {
    const line = this.line(n);
    if (line.physical === physical) return;
    line.physical = physical;
    line.pin?.interrupt();
  }

  /** The electrical level of a line (what a relay coil sees). */
  level(n: number): GpioLevel {
    return this.line(n).physical;
  }

  private line(n: number): Line {
    let line = this.lines.get(n);
    if (!line) {
      line = { physical: 0 };
      this.lines.set(n, line);
    }
    return line;
  }
}

class FakeGpioPin implements GpioPin {
  closed = false;
  private listener: { edge: GpioEdge; cb: (level: GpioLevel) => void } | undefined;
  private debounceTimer: TimerHandle | undefined;
  private readonly activeLow: boolean;

  constructor(
    private readonly line: Line,
    private readonly opts: GpioOpenOptions,
    private readonly clock: Clock,
  ) {
    this.activeLow = opts.activeLow ?? false;
    if (opts.direction === 'out') line.physical = this.toPhysical(opts.initial ?? 0);
  }

  read(): Promise<GpioLevel> {
    return this.closed ? Promise.reject(new Error('EBADF: pin closed')) : Promise.resolve(this.logical());
  }

  write(level: GpioLevel): Promise<void> {
    if (this.closed) return Promise.reject(new Error('EBADF: pin closed'));
    if (this.opts.direction !== 'out') return Promise.reject(new Error('EPERM: pin is an input'));
    this.line.physical = this.toPhysical(level);
    return Promise.resolve();
  }

  watch(edge: GpioEdge, cb: (level: GpioLevel) => void): void {
    this.listener = { edge, cb };
  }

  close(): Promise<void> {
    this.closed = true;
    this.listener = undefined;
    if (this.debounceTimer) this.clock.clearTimeout(this.debounceTimer);
    return Promise.resolve();
  }

  /** Called by the bank when the electrical level changed. */
  interrupt(): void {
    if (!this.listener || this.closed) return;
    const debounceMs = this.opts.debounceMs ?? 0;
    if (debounceMs <= 0) {
      this.report();
      return;
    }
    if (this.debounceTimer) this.clock.clearTimeout(this.debounceTimer);
    this.debounceTimer = this.clock.setTimeout(() => {
      this.debounceTimer = undefined;
      this.report();
    }, debounceMs);
  }

  private report(): void {
    const l = this.listener;
    if (!l) return;
    const level = this.logical();
    if (l.edge === 'both' || (l.edge === 'rising' && level === 1) || (l.edge === 'falling' && level === 0))
      l.cb(level);
  }

  private logical(): GpioLevel {
    return this.toPhysical(this.line.physical);
  }

  /** Inversion is its own inverse, so this maps both ways. */
  private toPhysical(level: GpioLevel): GpioLevel {
    return this.activeLow ? (level === 1 ? 0 : 1) : level;
  }
}
