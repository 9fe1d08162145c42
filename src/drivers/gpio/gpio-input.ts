/**
 * The `gpio-input` driver (button, reed switch, PIR motion): edge-triggered event readings with
 * debounce, the level at open, and the level on each `sample` when the device has a schedule.
 */
import type { DeviceDriver, DriverContext, Reading } from '../types.js';
import { ParamReader } from '../params.js';
import { makeReading } from '../reading.js';
import { DriverNotOpenError } from '../errors.js';
import type { GpioEdge, GpioLevel, GpioOpener, GpioPin } from './gpio-pin.js';
import { resolveGpioNumber } from './resolve.js';

/** What the GPIO drivers need besides params. */
export interface GpioDriverOptions {
  opener: GpioOpener;
  /** Root of the sysfs tree used for the BCM mapping (default `/sys`). */
  sysfsRoot?: string;
  /** Name of the reading (the model's first reading; default `state`). */
  readingName?: string;
}

/** A GPIO input reporting `vb` readings: true when the (logical) level is 1. */
export class GpioInputDriver implements DeviceDriver {
  private readonly bcm: number;
  private readonly edge: GpioEdge;
  private readonly debounceMs: number;
  private readonly activeLow: boolean;
  private readonly sysfsBase: number | undefined;
  private pin: GpioPin | undefined;
  private ctx: DriverContext | undefined;

  constructor(
    params: Readonly<Record<string, unknown>>,
    private readonly opts: GpioDriverOptions,
  ) {
    const p = new ParamReader(params);
    this.bcm = p.integer('gpio', undefined, { min: 0, max: 57 });
    this.edge = p.oneOf('edge', ['rising', 'falling', 'both'], 'both');
    this.debounceMs = p.integer('debounceMs', 0, { min: 0, max: 10_000 });
    this.activeLow = p.boolean('activeLow', false);
    this.sysfsBase = p.optionalInteger('sysfsBase', { min: 0 });
  }

  async open(ctx: DriverContext): Promise<void> {
    const n = await resolveGpioNumber(this.bcm, this.sysfsBase, this.opts.sysfsRoot, ctx.log);
    const pin = await this.opts.opener(n, {
      direction: 'in',
      activeLow: this.activeLow,
      debounceMs: this.debounceMs,
    });
    this.pin = pin;
    this.ctx = ctx;
    let last: GpioLevel = await pin.read();
    pin.watch(this.edge, (level) => {
      // With `both`, a bounce that settles back on the same level is no change; single-edge
      // watches report every edge (each button press is an event).
      if (this.edge === 'both' && level === last) return;
      last = level;
      ctx.emit([this.reading(ctx, level)]);
    });
    ctx.log.debug('gpio input open', { bcm: this.bcm, sysfs: n, edge: this.edge });
    ctx.emit([this.reading(ctx, last)]);
  }

  async sample(): Promise<readonly Reading[]> {
    if (!this.pin || !this.ctx) throw new DriverNotOpenError(`gpio ${this.bcm}`);
    return [this.reading(this.ctx, await this.pin.read())];
  }

  async close(): Promise<void> {
    const pin = this.pin;
    this.pin = undefined;
    this.ctx = undefined;
    await pin?.close();
  }

  private reading(ctx: DriverContext, level: GpioLevel): Reading {
    return makeReading(ctx.clock, this.opts.readingName ?? 'state', level === 1);
  }
}
