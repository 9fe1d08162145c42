/**
 * The `sim` driver (design.md, "Simulated devices"): no hardware, used by `demo`, tests and anyone
 * trying a configuration. Waveforms: `counter` (0, 1, 2, … continuing across restarts), `sine`,
 * `random`, and `step`, a simulated switch that takes commands.
 */
import type { ActuatorCommand, DeviceDriver, DriverContext, Reading } from './types.js';
import { ParamReader } from './params.js';
import { makeReading } from './reading.js';
import { commandLevel } from './command.js';
import { readStateFile, stateFilePath, writeStateFile } from './state-file.js';
import { CounterState } from './counter-state.js';
import { readBootId } from '../util/clock-jump.js';
import { DriverNotOpenError } from './errors.js';
import { describeError } from '../util/errors.js';

/** Consecutive successful saves after a failure before the recovery is logged. */
const SAVES_BEFORE_RECOVERED = 60;

/** The waveforms `params.waveform` accepts. */
export const SIM_WAVEFORMS = ['counter', 'sine', 'random', 'step'] as const;
export type SimWaveform = (typeof SIM_WAVEFORMS)[number];

/** The params of the `sine` and `random` waveforms. */
interface WaveShape {
  /** sine: one period. */
  readonly periodMs: number;
  readonly amplitude: number;
  readonly offset: number;
  /** random: the range, `max` excluded. */
  readonly min: number;
  readonly max: number;
  /** Values are sent with this many decimals (10^decimals): no bytes on the wire for noise digits. */
  readonly scale: number;
}

function readWaveShape(p: ParamReader): WaveShape {
  const periodMs = p.number('periodSeconds', 60, { min: 0.001 }) * 1000;
  const amplitude = p.number('amplitude', 1);
  const offset = p.number('offset', 0);
  const min = p.number('min', 0);
  const max = p.number('max', 100);
  if (max < min) throw p.fail('max', 'must not be below params.min');
  return {
    periodMs,
    amplitude,
    offset,
    min,
    max,
    scale: 10 ** p.integer('decimals', 3, { min: 0, max: 12 }),
  };
}

/** Where the sim driver keeps its state and what it names its reading. */
export interface SimOptions {
  /** Directory for the counter / step state file; absent: state lives in memory only. */
  stateDir?: string;
  /** Key of the state file (the device name). */
  stateKey?: string;
  readingName?: string;
  /** Unit used when `params.unit` is absent (the model's reading unit). */
  defaultUnit?: string;
  /** Random source in [0, 1) (tests). */
  random?: () => number;
  /** Boot id for the counter's state (tests); default /proc/sys/kernel/random/boot_id. */
  bootId?: string;
}

/** Simulated sensor or switch; `actuate` exists for every waveform but only `step` is an actuator model. */
export class SimDriver implements DeviceDriver {
  readonly waveform: SimWaveform;
  private readonly unit: string | undefined;
  private readonly name: string;
  private readonly shape: WaveShape;
  private readonly stateFile: string | undefined;
  /** counter: never repeats across restarts without a durable write per value. */
  private readonly counter: CounterState | undefined;
  private ctx: DriverContext | undefined;
  /** counter: the last value produced (start - 1 before the first); step: the current level. */
  private state = 0;
  private saveFailing = false;
  private savedSinceFailure = 0;

  constructor(
    params: Readonly<Record<string, unknown>>,
    private readonly opts: SimOptions = {},
  ) {
    const p = new ParamReader(params);
    this.waveform = p.oneOf('waveform', SIM_WAVEFORMS, 'counter');
    this.unit = p.optionalString('unit') ?? opts.defaultUnit;
    this.name = opts.readingName ?? 'value';
    this.shape = readWaveShape(p);
    const start = p.integer('start', 0, { min: 0 });
    this.state = this.waveform === 'step' ? p.level('initial', 0) : start - 1;
    const key = `sim-${opts.stateKey ?? 'default'}`;
    this.stateFile =
      opts.stateDir !== undefined && (this.waveform === 'counter' || this.waveform === 'step')
        ? stateFilePath(opts.stateDir, key)
        : undefined;
    this.counter =
      opts.stateDir !== undefined && this.waveform === 'counter'
        ? new CounterState(opts.stateDir, key, opts.bootId ?? readBootId())
        : undefined;
    if (this.waveform === 'step') this.actuate = (cmd) => this.setStep(commandLevel(cmd));
  }

  /** Present only for `step`: sets the level and reports it. */
  actuate?: (cmd: ActuatorCommand) => Promise<readonly Reading[]>;

  async open(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    if (this.stateFile === undefined) return;
    try {
      if (this.counter) {
        const last = await this.counter.load();
        if (last !== undefined) this.state = Math.max(this.state, last);
      } else {
        const last = ((await readStateFile(this.stateFile)) as { last?: unknown } | undefined)?.last;
        if (this.waveform === 'step' && (last === 0 || last === 1)) this.state = last;
      }
    } catch (err) {
      ctx.log.warn('sim state file unreadable, starting afresh', {
        file: this.stateFile,
        err: describeError(err),
      });
    }
    if (this.waveform === 'step') ctx.emit([this.reading(this.state)]);
  }

  async sample(): Promise<readonly Reading[]> {
    const ctx = this.requireOpen();
    switch (this.waveform) {
      case 'counter': {
        this.state += 1;
        await this.persist(ctx);
        return [this.reading(this.state)];
      }
      case 'sine': {
        const { periodMs, offset, amplitude, scale } = this.shape;
        const phase = (2 * Math.PI * (ctx.clock.nowMs() % periodMs)) / periodMs;
        return [this.reading(Math.round((offset + amplitude * Math.sin(phase)) * scale) / scale)];
      }
      case 'random': {
        const r = (this.opts.random ?? Math.random)();
        // Rounded down, so a value never reaches max.
        const { min, max, scale } = this.shape;
        return [this.reading(Math.floor((min + r * (max - min)) * scale) / scale)];
      }
      case 'step':
        // A sampled switch toggles by itself at each sample (design.md).
        return this.setStep(this.state === 1 ? 0 : 1);
    }
  }

  async close(): Promise<void> {
    const ctx = this.ctx;
    this.ctx = undefined;
    try {
      await this.counter?.close(this.state);
    } catch (err) {
      ctx?.log.warn('cannot save sim state', { file: this.stateFile, err: describeError(err) });
    }
  }

  private async setStep(level: 0 | 1): Promise<readonly Reading[]> {
    const ctx = this.requireOpen();
    this.state = level;
    await this.persist(ctx);
    return [this.reading(level)];
  }

  /** Saves the state; a failure is reported as a fault but the reading still goes out. */
  private async persist(ctx: DriverContext): Promise<void> {
    if (this.stateFile === undefined) return;
    try {
      if (this.counter) await this.counter.save(this.state);
      else await writeStateFile(this.stateFile, { last: this.state });
      // A nearly full disk lets some saves through: "saved again" only after a run of them.
      if (this.saveFailing && ++this.savedSinceFailure >= SAVES_BEFORE_RECOVERED) {
        ctx.log.info('sim state saved again', { file: this.stateFile });
        this.saveFailing = false;
      }
    } catch (err) {
      // Once per change (a full disk fails every sample; the fault count keeps the tally).
      if (!this.saveFailing)
        ctx.log.warn('cannot save sim state', { file: this.stateFile, err: describeError(err) });
      this.saveFailing = true;
      this.savedSinceFailure = 0;
      ctx.fault(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private reading(value: number): Reading {
    return makeReading(this.requireOpen().clock, this.name, value, this.unit);
  }

  private requireOpen(): DriverContext {
    if (!this.ctx) throw new DriverNotOpenError('sim');
    return this.ctx;
  }
}
