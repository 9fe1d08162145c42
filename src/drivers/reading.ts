/** Building readings stamped from the injected clock, and checking what a driver returned. */
import type { Clock } from '../util/clock.js';
import type { Reading } from './types.js';
import { BadReadingError } from './errors.js';

/** A value a reading can carry: number → `v`, boolean → `vb`, string → `vs`. */
export type ReadingValue = number | boolean | string;

/** A reading named `n` with `value` and optional unit `u`, stamped now from `clock`. */
export function makeReading(clock: Clock, n: string, value: ReadingValue, u?: string): Reading {
  return stampReading({ timeMs: clock.nowMs(), monoMs: clock.monotonicMs() }, n, value, u);
}

/** A reading at a given sampling time (several readings of one frame share one stamp). */
export function stampReading(
  at: { timeMs: number; monoMs: number },
  n: string,
  value: ReadingValue,
  u?: string,
): Reading {
  const unit = u === undefined || u === '' ? {} : { u };
  if (typeof value === 'number') return { n, v: value, ...unit, timeMs: at.timeMs, monoMs: at.monoMs };
  if (typeof value === 'boolean') return { n, vb: value, ...unit, timeMs: at.timeMs, monoMs: at.monoMs };
  return { n, vs: value, ...unit, timeMs: at.timeMs, monoMs: at.monoMs };
}

/** The current time as a stamp for `stampReading`. */
export function stampNow(clock: Clock): { timeMs: number; monoMs: number } {
  return { timeMs: clock.nowMs(), monoMs: clock.monotonicMs() };
}

/** The value of a reading (whichever of v / vb / vs is set). */
export function readingValue(r: Reading): ReadingValue | undefined {
  return r.v ?? r.vb ?? r.vs;
}

/**
 * Checks what a driver handed back: an array of SenML-shaped records with a name, exactly one
 * finite value and finite times. Throws `BadReadingError` describing the first problem.
 */
export function checkReadings(value: unknown): readonly Reading[] {
  if (!Array.isArray(value))
    throw new BadReadingError(`driver returned ${typeof value}, not a list of readings`);
  value.forEach((r: unknown, i) => {
    checkReading(r, i);
  });
  return value as readonly Reading[];
}

function checkReading(r: unknown, i: number): void {
  const where = `reading[${i}]`;
  if (typeof r !== 'object' || r === null) throw new BadReadingError(`${where} is not an object`);
  const rec = r as Record<string, unknown>;
  if (typeof rec['n'] !== 'string') throw new BadReadingError(`${where} has no name`);
  const kinds = ['v', 'vb', 'vs'].filter((k) => rec[k] !== undefined);
  if (kinds.length !== 1) throw new BadReadingError(`${where} must carry exactly one of v, vb, vs`);
  const v = rec['v'];
  if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) {
    throw new BadReadingError(`${where}.v is not a finite number`);
  }
  if (rec['vb'] !== undefined && typeof rec['vb'] !== 'boolean')
    throw new BadReadingError(`${where}.vb is not a boolean`);
  if (rec['vs'] !== undefined && typeof rec['vs'] !== 'string')
    throw new BadReadingError(`${where}.vs is not a string`);
  if (rec['u'] !== undefined && typeof rec['u'] !== 'string')
    throw new BadReadingError(`${where}.u is not a string`);
  for (const k of ['timeMs', 'monoMs']) {
    const t = rec[k];
    if (typeof t !== 'number' || !Number.isFinite(t))
      throw new BadReadingError(`${where}.${k} is not a finite number`);
  }
}
