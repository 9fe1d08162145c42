/**
 * oneM2M scheduleElement windows (onem2m-reference.md section 8; `<schedule>` `se.sce`).
 *
 * An entry has 7 space-separated fields, always UTC: `second minute hour day-of-month month
 * day-of-week year` with ranges 0-59, 0-59, 0-23, 1-31, 1-12, 0-6 (0 = Sunday), 2000-9999. A field
 * is `*`, a number, a range `a-b`, a stepped range `a-b/n` or `*\/n` (also `a/n` = `a-max/n`), or a
 * comma list of these. A second is inside an entry when EVERY field matches it: unlike classic cron,
 * where a restricted day-of-month and day-of-week are ORed, here `* * * 13 * 5 *` means Friday the
 * 13th only (the reference says "a time matches when every field matches"). Several entries form a
 * union. Times are whole seconds: `isInside(ms)` looks at the second containing `ms`.
 *
 * node-cron cannot parse 7 fields nor answer "next match after an arbitrary T" (toolchain.md), so
 * this is our own code. Searches skip by field (next allowed year, month, day, hour, ...), never
 * second by second: answers take microseconds (about 1 ms for a window running to the year 9999).
 */
import { ScheduleError, type ScheduleIssue } from './errors.js';
import {
  DOM,
  DOW,
  HOUR,
  MIN,
  MON,
  SEC,
  YEAR,
  parseEntry,
  type Entry,
  type ValueSet,
} from './schedule-entry.js';
import { firstMatchFrom, partsOf } from '../util/calendar-fields.js';

export { firstMatchFrom } from '../util/calendar-fields.js';

/** First instant no entry can match (the year field stops at 9999). */
const END_OF_YEARS_MS = Date.UTC(10000, 0, 1);
const DAY_MS = 86_400_000;

/** Messages (naming field, value and allowed range) for one scheduleElement string; empty when valid. */
export function validateScheduleEntry(s: string): string[] {
  return parseEntry(s, 0).issues.map((i) => i.message);
}

/** Time window logic over a list of scheduleElement entries (their union). */
export interface Schedule {
  readonly entries: readonly string[];
  /** True when the second containing `ms` (UTC) is matched by some entry. */
  isInside(ms: number): boolean;
  /**
   * The earliest time >= `afterMs` that is inside: `afterMs` itself when inside, else the start of
   * the next matching second; undefined when nothing matches before the year 10000.
   */
  nextOpening(afterMs: number): number | undefined;
  /**
   * The first second boundary after `ms` that is not inside (the end of the window holding `ms`);
   * `ms` itself when `ms` is not inside; undefined when the window never ends (always inside).
   * For pathological unions (thousands of interleaved runs) it may return an earlier time at which
   * the window still holds: callers simply ask again then.
   */
  windowEnd(ms: number): number | undefined;
}

function matchesAt(e: Entry, ms: number): boolean {
  const [y, mo, d, h, mi, s] = partsOf(ms);
  if (y > 9999) return false;
  const dow = new Date(ms).getUTCDay();
  const values = [s, mi, h, d, mo, dow, y];
  return e.every((set, i) => set.has(values[i] ?? -1));
}

/** Level 0..5 = second, minute, hour, day, month, year: the unit a run of matches advances by. */
function unitStart(level: number, ms: number): number {
  const [y, mo] = partsOf(ms);
  const sizes = [1000, 60_000, 3_600_000, DAY_MS];
  const size = sizes[level];
  if (size !== undefined) return ms - (((ms % size) + size) % size);
  return level === 4 ? Date.UTC(y, mo - 1, 1) : Date.UTC(y, 0, 1);
}
function nextUnit(level: number, ms: number): number {
  const [y, mo] = partsOf(ms);
  const sizes = [1000, 60_000, 3_600_000, DAY_MS];
  const size = sizes[level];
  if (size !== undefined) return ms + size;
  return level === 4 ? Date.UTC(y, mo, 1) : Date.UTC(y + 1, 0, 1);
}

/** The lowest level whose field(s) are not full: below it every value matches. 6 = always. */
function lowestRestrictedLevel(e: Entry): number {
  const full = (i: number): boolean => (e[i] as ValueSet).full;
  const levels = [full(SEC), full(MIN), full(HOUR), full(DOM) && full(DOW), full(MON), full(YEAR)];
  const idx = levels.indexOf(false);
  return idx === -1 ? 6 : idx;
}

/** The first second >= `t` (t matches, second-aligned) that this entry does not match. */
function runEnd(e: Entry, level: number, t: number): number {
  if (level === 6) return END_OF_YEARS_MS;
  // Fields below `level` are full, so a whole unit matches iff its first second does.
  let u = unitStart(level, t);
  for (let guard = 0; guard < 20_000; guard++) {
    u = nextUnit(level, u);
    if (u >= END_OF_YEARS_MS || !matchesAt(e, u)) return Math.min(u, END_OF_YEARS_MS);
  }
  return u;
}

/** Merges entries that differ in one field only (their union is exact), so runs stay long. */
function mergeEntries(entries: Entry[]): Entry[] {
  const list = entries.slice();
  for (let changed = true; changed;) {
    changed = false;
    outer: for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i] as Entry;
        const b = list[j] as Entry;
        const differ = a.map((set, k) => !set.equals(b[k] as ValueSet));
        if (differ.filter(Boolean).length > 1) continue;
        list[i] = a.map((set, k) => (differ[k] ? set.union(b[k] as ValueSet) : set));
        list.splice(j, 1);
        changed = true;
        break outer;
      }
    }
  }
  return list;
}

class EntrySchedule implements Schedule {
  private readonly parsed: readonly { entry: Entry; level: number }[];
  constructor(
    readonly entries: readonly string[],
    parsed: Entry[],
  ) {
    this.parsed = mergeEntries(parsed).map((entry) => ({ entry, level: lowestRestrictedLevel(entry) }));
  }
  isInside(ms: number): boolean {
    if (!Number.isFinite(ms)) return false;
    const t = Math.floor(ms / 1000) * 1000;
    return this.parsed.some((p) => matchesAt(p.entry, t));
  }
  nextOpening(afterMs: number): number | undefined {
    if (!Number.isFinite(afterMs)) return undefined;
    if (this.isInside(afterMs)) return afterMs;
    const from = Math.floor(afterMs / 1000) * 1000 + 1000;
    let best: number | undefined;
    for (const p of this.parsed) {
      const m = firstMatchFrom(p.entry, from);
      if (m !== undefined && (best === undefined || m < best)) best = m;
    }
    return best;
  }
  windowEnd(ms: number): number | undefined {
    if (!Number.isFinite(ms)) return undefined;
    if (!this.isInside(ms)) return ms;
    let t = Math.floor(ms / 1000) * 1000;
    for (let guard = 0; guard < 10_000; guard++) {
      let end: number | undefined;
      for (const p of this.parsed) {
        if (!matchesAt(p.entry, t)) continue;
        const e = runEnd(p.entry, p.level, t);
        if (end === undefined || e > end) end = e;
      }
      if (end === undefined) return t;
      if (end >= END_OF_YEARS_MS) return undefined;
      t = end;
    }
    return t;
  }
}

/** Parses scheduleElement strings; throws a `ScheduleError` listing every problem of every entry. */
export function parseSchedule(entries: readonly string[]): Schedule {
  const issues: ScheduleIssue[] = [];
  const parsed: Entry[] = [];
  if (entries.length === 0) {
    issues.push({ index: 0, field: 'entry', value: '', message: 'the schedule has no entries' });
  }
  entries.forEach((text, index) => {
    const r = parseEntry(text, index);
    issues.push(...r.issues);
    if (r.entry) parsed.push(r.entry);
  });
  if (issues.length > 0) throw new ScheduleError(issues);
  return new EntrySchedule(entries, parsed);
}

/** The policy when no schedule is configured: always inside, the window never ends. */
export const alwaysSchedule: Schedule = {
  entries: [],
  isInside: () => true,
  nextOpening: (afterMs) => afterMs,
  windowEnd: () => undefined,
};
