/**
 * Report-on-change with an optional deadband, per reading name: a number is reported when it moved
 * by more than `deadband` from the last reported value (deadband 0: when it changed at all); a
 * boolean or string when it changed. The first value of each name is always reported.
 */
import type { Reading } from './types.js';
import { readingValue } from './reading.js';
import type { ReadingValue } from './reading.js';

/** Filters readings against the last reported value of the same name. */
export class DeadbandFilter {
  private readonly last = new Map<string, ReadingValue>();

  /** `deadband` undefined: everything passes (no report-on-change). */
  constructor(private readonly deadband?: number) {}

  /** The readings worth reporting; remembers them as the new reference values. */
  filter(readings: readonly Reading[]): Reading[] {
    if (this.deadband === undefined) return [...readings];
    return readings.filter((r) => {
      const v = readingValue(r);
      if (v === undefined) return false;
      const prev = this.last.get(r.n);
      const pass =
        prev === undefined ||
        (typeof v === 'number' && typeof prev === 'number'
          ? Math.abs(v - prev) > (this.deadband ?? 0)
          : v !== prev);
      if (pass) this.last.set(r.n, v);
      return pass;
    });
  }

  /** Records readings reported outside the filter (an actuator's new state) as reference values. */
  note(readings: readonly Reading[]): void {
    for (const r of readings) {
      const v = readingValue(r);
      if (v !== undefined) this.last.set(r.n, v);
    }
  }
}
