/**
 * The `gpio-output` driver (relay, LED): the level follows actuator commands; the level at open is
 * the last commanded one (kept in the state directory) or else `params.initial`, so a restart
 * does not switch a relay off and on again.
 */
import type { ActuatorCommand, DeviceDriver, DriverContext, Reading } from '../types.js';
import { ParamReader } from '../params.js';
import { makeReading } from '../reading.js';
import { commandLevel } from '../command.js';
import { DriverNotOpenError } from '../errors.js';
import { readStateFile, stateFilePath, writeStateFile } from '../state-file.js';
import { describeError } from '../../util/errors.js';
import type { GpioLevel, GpioPin } from './gpio-pin.js';
import type { GpioDriverOptions } from './gpio-input.js';
import { resolveGpioNumber } from './resolve.js';

/** Options of the output driver: the GPIO options plus where the last level is kept. */
export interface GpioOutputOptions extends GpioDriverOptions {
  stateDir?: string;
  /** Key of the state file (the device name; default `bcm<gpio>`). */
  stateKey?: string;
}

/** A GPIO output reporting its level as `vb` after open and after each command. */
export class GpioOutputDriver implements DeviceDriver {
  private readonly bcm: number;
  private readonly activeLow: boolean;
  private readonly initial: GpioLevel;
  private readonly sysfsBase: number | undefined;
  private readonly stateFile: string | undefined;
  private pin: GpioPin | undefined;
  private ctx: DriverContext | undefined;

  constructor(
    params: Readonly<Record<string, unknown>>,
    private readonly opts: GpioOutputOptions,
  ) {
    const p = new ParamReader(params);
    this.bcm = p.integer('gpio', undefined, { min: 0, max: 57 });
    this.activeLow = p.boolean('activeLow', false);
    this.initial = p.level('initial', 0);
    this.sysfsBase = p.optionalInteger('sysfsBase', { min: 0 });
    this.stateFile =
      opts.stateDir === undefined
        ? undefined
        : stateFilePath(opts.stateDir, `gpio-${opts.stateKey ?? `bcm${this.bcm}`}`);
  }

  async open(ctx: DriverContext): Promise<void> {
    const n = await resolveGpioNumber(this.bcm, this.sysfsBase, this.opts.sysfsRoot, ctx.log);
    const level = (await this.restore(ctx)) ?? this.initial;
    this.pin = await this.opts.opener(n, { direction: 'out', initial: level, activeLow: this.activeLow });
    this.ctx = ctx;
    ctx.log.debug('gpio output open', { bcm: this.bcm, sysfs: n, level });
    ctx.emit([this.reading(ctx, level)]);
  }

  async actuate(cmd: ActuatorCommand): Promise<readonly Reading[]> {
    const { pin, ctx } = this.requireOpen();
    const level = commandLevel(cmd);
    await pin.write(level);
    if (this.stateFile !== undefined) {
      try {
        await writeStateFile(this.stateFile, { level });
      } catch (err) {
        ctx.log.warn('cannot save gpio output level', { file: this.stateFile, err: describeError(err) });
        ctx.fault(err instanceof Error ? err : new Error(String(err)));
      }
    }
    return [this.reading(ctx, level)];
  }

  async sample(): Promise<readonly Reading[]> {
    const { pin, ctx } = this.requireOpen();
    return [this.reading(ctx, await pin.read())];
  }

  async close(): Promise<void> {
    const pin = this.pin;
    this.pin = undefined;
    this.ctx = undefined;
    await pin?.close();
  }

  private async restore(ctx: DriverContext): Promise<GpioLevel | undefined> {
    if (this.stateFile === undefined) return undefined;
    try {
      const saved = (await readStateFile(this.stateFile)) as { level?: unknown } | undefined;
      if (saved?.level === 0 || saved?.level === 1) return saved.level;
    } catch (err) {
      ctx.log.warn('gpio output state unreadable, using params.initial', {
        file: this.stateFile,
        err: describeError(err),
      });
    }
    return undefined;
  }

  private requireOpen(): { pin: GpioPin; ctx: DriverContext } {
    if (!this.pin || !this.ctx) throw new DriverNotOpenError(`gpio ${this.bcm}`);
    return { pin: this.pin, ctx: this.ctx };
  }

  private reading(ctx: DriverContext, level: GpioLevel): Reading {
    return makeReading(ctx.clock, this.opts.readingName ?? 'state', level === 1);
  }
}
