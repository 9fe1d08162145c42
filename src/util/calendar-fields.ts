/**
 * Calendar fields shared by the link's `<schedule>` windows (connectivity/schedule.ts) and the
 * sampling cron (drivers/cron-match.ts): per-field value sets and the field-skipping search for the
 * first matching second. UTC arithmetic only; callers map local time onto it.
 */

export interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
}

export const FIELDS: readonly FieldSpec[] = [
  { name: 'second', min: 0, max: 59 },
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day-of-month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12 },
  { name: 'day-of-week', min: 0, max: 6 },
  { name: 'year', min: 2000, max: 9999 },
];
/** Field positions within an entry. */
export const [SEC, MIN, HOUR, DOM, MON, DOW, YEAR] = [0, 1, 2, 3, 4, 5, 6] as const;
export const FIELD_ORDER = FIELDS.map((f) => f.name).join(' ');

/** The allowed values of one field. */
export class ValueSet {
  readonly sorted: readonly number[];
  readonly full: boolean;
  constructor(
    private readonly spec: FieldSpec,
    private readonly bits: Uint8Array,
  ) {
    const sorted: number[] = [];
    for (let v = spec.min; v <= spec.max; v++) if (bits[v] === 1) sorted.push(v);
    this.sorted = sorted;
    this.full = sorted.length === spec.max - spec.min + 1;
  }
  has(v: number): boolean {
    return this.bits[v] === 1;
  }
  /** The smallest allowed value >= v, or undefined. */
  next(v: number): number | undefined {
    let lo = 0;
    let hi = this.sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((this.sorted[mid] ?? Infinity) < v) lo = mid + 1;
      else hi = mid;
    }
    return this.sorted[lo];
  }
  union(o: ValueSet): ValueSet {
    return new ValueSet(
      this.spec,
      this.bits.map((b, i) => b | (o.bits[i] ?? 0)),
    );
  }
  equals(o: ValueSet): boolean {
    return this.sorted.length === o.sorted.length && this.sorted.every((v, i) => o.sorted[i] === v);
  }
}

/** One parsed entry: seven value sets, in field order. */
export type Entry = readonly ValueSet[];

/** Gregorian leap year. */
export function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
/** Days in month `mo` (1-12) of year `y`. */
export function daysInMonth(y: number, mo: number): number {
  return mo === 2 ? (isLeap(y) ? 29 : 28) : [4, 6, 9, 11].includes(mo) ? 30 : 31;
}

export function partsOf(ms: number): [y: number, mo: number, d: number, h: number, mi: number, s: number] {
  const t = new Date(ms);
  return [
    t.getUTCFullYear(),
    t.getUTCMonth() + 1,
    t.getUTCDate(),
    t.getUTCHours(),
    t.getUTCMinutes(),
    t.getUTCSeconds(),
  ];
}

/** The first matching second >= `fromMs` (second-aligned), skipping by field; undefined if none. */
export function firstMatchFrom(e: Entry, fromMs: number): number | undefined {
  let [y, mo, d, h, mi, s] = partsOf(fromMs);
  const f = (i: number): ValueSet => e[i] as ValueSet;
  // Each step moves to a later candidate; the bound only guards against a bug turning into a hang.
  for (let guard = 0; guard < 1_000_000; guard++) {
    if (y > 9999) return undefined;
    if (!f(YEAR).has(y)) {
      const ny = f(YEAR).next(y);
      if (ny === undefined) return undefined;
      [y, mo, d, h, mi, s] = [ny, 1, 1, 0, 0, 0];
      continue;
    }
    if (!f(MON).has(mo)) {
      const nm = f(MON).next(mo);
      if (nm === undefined) [y, mo, d, h, mi, s] = [y + 1, 1, 1, 0, 0, 0];
      else [mo, d, h, mi, s] = [nm, 1, 0, 0, 0];
      continue;
    }
    const nd = f(DOM).next(d);
    if (nd === undefined || nd > daysInMonth(y, mo)) {
      [mo, d, h, mi, s] = [mo + 1, 1, 0, 0, 0];
      continue;
    }
    if (nd !== d || !f(DOW).has(new Date(Date.UTC(y, mo - 1, nd)).getUTCDay())) {
      [d, h, mi, s] = nd !== d ? [nd, 0, 0, 0] : [d + 1, 0, 0, 0];
      continue;
    }
    const nh = f(HOUR).next(h);
    if (nh !== h) {
      if (nh === undefined) [d, h, mi, s] = [d + 1, 0, 0, 0];
      else [h, mi, s] = [nh, 0, 0];
      continue;
    }
    const nmi = f(MIN).next(mi);
    if (nmi !== mi) {
      if (nmi === undefined) [h, mi, s] = [h + 1, 0, 0];
      else [mi, s] = [nmi, 0];
      continue;
    }
    const ns = f(SEC).next(s);
    if (ns === undefined) {
      [mi, s] = [mi + 1, 0];
      continue;
    }
    return Date.UTC(y, mo - 1, d, h, mi, ns);
  }
  return undefined;
}
