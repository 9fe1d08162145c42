/**
 * When a sampling cron expression next matches, in the process's local time. The expression is
 * read by node-cron's rules (util/cron-syntax.ts: what `check` accepts is unchanged); the search
 * is ours: node-cron's matcher reads every candidate through `Intl.DateTimeFormat`, which maps about 7 MiB of ICU data
 * into an agent that otherwise never touches Intl (the local time zone alone costs about 1 MiB).
 *
 * A sampling instant is a real second whose local wall-clock reading matches every field
 * (day-of-month AND day-of-week, as node-cron does; its L, W and # day tokens included). Across a
 * daylight-saving change: wall times skipped in spring never happen, and the hour repeated in
 * autumn is sampled twice; node-cron instead paused an every-10-seconds sampler for that hour.
 * Limit: offset changes less than a day apart may be missed (no real zone has them today).
 *
 * The search is the schedule's (util/calendar-fields.ts `firstMatchFrom`, shared with connectivity/schedule.ts) run on wall-clock time
 * written as UTC, one stretch of constant UTC offset at a time.
 */
import { ValueSet, daysInMonth, firstMatchFrom, type Entry } from '../util/calendar-fields.js';
import { parseCron, type CronToken } from '../util/cron-syntax.js';

/** The UTC offset (ms east of Greenwich) in force at an instant. */
export type OffsetAt = (ms: number) => number;

/** The process's local time zone (TZ or /etc/localtime), without Intl. */
export const localOffsetAt: OffsetAt = (ms) => -new Date(ms).getTimezoneOffset() * 60_000;

const DAY_MS = 86_400_000;
/** Days searched before an expression is declared never to match again (a 400-year cycle). */
const MAX_DAYS = 146_097;

type DayTest = (y: number, mo: number, d: number, dow: number) => boolean;

function valueSet(name: string, min: number, max: number, values: readonly number[]): ValueSet {
  const bits = new Uint8Array(max + 1);
  for (const v of values) if (v >= min && v <= max) bits[v] = 1;
  return new ValueSet({ name, min, max }, bits);
}

/** Sunday 0 .. Saturday 6 of a calendar date. */
function weekday(y: number, mo: number, d: number): number {
  return new Date(Date.UTC(y, mo - 1, d)).getUTCDay();
}

/** node-cron's `nW`: the weekday nearest to day `target` within the month, or -1. */
function nearestWeekday(y: number, mo: number, target: number): number {
  const last = daysInMonth(y, mo);
  if (target < 1 || target > last) return -1;
  const dow = weekday(y, mo, target);
  if (dow === 6) return target === 1 ? 3 : target - 1;
  if (dow === 0) return target === last ? target - 2 : target + 1;
  return target;
}

/** One day-of-month token as node-cron reads it: a number, `L`, `L-n`, `nW` or `LW`. */
function dayOfMonthToken(token: CronToken): DayTest {
  if (typeof token === 'number') return (_y, _mo, d) => d === token;
  const w = /^(\d{1,2}|L)W$/.exec(token);
  if (w) return (y, mo, d) => nearestWeekday(y, mo, w[1] === 'L' ? daysInMonth(y, mo) : Number(w[1])) === d;
  const offset = /^L-(\d{1,2})$/.exec(token);
  if (offset) return (y, mo, d) => d === daysInMonth(y, mo) - Number(offset[1]);
  if (token === 'L') return (y, mo, d) => d === daysInMonth(y, mo);
  return () => false;
}

/** One day-of-week token: a number (0-6), `nL` (last n-day of the month) or `n#k` (k-th n-day). */
function dayOfWeekToken(token: CronToken): DayTest {
  if (typeof token === 'number') return (_y, _mo, _d, dow) => dow === token % 7;
  const last = /^([0-7])L$/.exec(token);
  if (last) return (y, mo, d, dow) => dow === Number(last[1]) % 7 && d + 7 > daysInMonth(y, mo);
  const nth = /^([0-7])#([1-5])$/.exec(token);
  if (nth)
    return (_y, _mo, d, dow) => dow === Number(nth[1]) % 7 && Math.floor((d - 1) / 7) + 1 === Number(nth[2]);
  return () => false;
}

function range(lo: number, hi: number): number[] {
  return Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);
}

let fullDateFields: readonly ValueSet[] | undefined;
/** Day, month, weekday and year fields that match anything, shared (the year set is ~90 KB). */
function anyDate(): readonly ValueSet[] {
  fullDateFields ??= [
    valueSet('day-of-month', 1, 31, range(1, 31)),
    valueSet('month', 1, 12, range(1, 12)),
    valueSet('day-of-week', 0, 6, range(0, 6)),
    // Every year, 1970 included: a board without a clock samples before NTP sets the date.
    valueSet('year', 0, 9999, range(0, 9999)),
  ];
  return fullDateFields;
}

function anyOf(tests: readonly DayTest[]): DayTest {
  return (y, mo, d, dow) => tests.some((t) => t(y, mo, d, dow));
}

/** A parsed sampling expression: `next(afterMs)` is the next matching instant. */
export class CronMatcher {
  /** Second, minute and hour restricted; the date fields full (days are tested by `dayMatches`). */
  private readonly timeOfDay: Entry;
  private readonly months: ValueSet;
  private readonly dayMatches: DayTest;

  /** `expr` must be valid (util/sample-cron.ts); `parseCron` throws otherwise. */
  constructor(
    expr: string,
    private readonly offsetAt: OffsetAt = localOffsetAt,
  ) {
    const f = parseCron(expr);
    this.timeOfDay = [
      valueSet('second', 0, 59, f.second),
      valueSet('minute', 0, 59, f.minute),
      valueSet('hour', 0, 23, f.hour),
      ...anyDate(),
    ];
    this.months = valueSet('month', 1, 12, f.month);
    const dom = anyOf(f.dayOfMonth.map(dayOfMonthToken));
    const dow = anyOf(f.dayOfWeek.map(dayOfWeekToken));
    this.dayMatches = (y, mo, d, wd) => dom(y, mo, d, wd) && dow(y, mo, d, wd);
  }

  /**
   * The first matching instant later than the second holding `afterMs` (whole seconds, as
   * node-cron's next match), or undefined when none comes within 400 years.
   */
  next(afterMs: number): number | undefined {
    let from = Math.floor(afterMs / 1000) * 1000 + 1000;
    // One pass per stretch of constant offset; a few at most between two matches.
    for (let guard = 0; guard < 1000; guard++) {
      const offset = this.offsetAt(from);
      const wall = this.nextWallMatch(from + offset);
      if (wall === undefined) return undefined;
      const at = wall - offset;
      const change = this.offsetChange(from, at, offset);
      if (change === undefined) return at;
      from = change; // nothing matched before the change: search on from there
    }
    return undefined;
  }

  /** First matching wall-clock second >= `fromWall` (wall time written as UTC ms). */
  private nextWallMatch(fromWall: number): number | undefined {
    let dayStart = Math.floor(fromWall / DAY_MS) * DAY_MS;
    for (let i = 0; i < MAX_DAYS; i++, dayStart += DAY_MS) {
      const t = new Date(dayStart);
      const [y, mo, d] = [t.getUTCFullYear(), t.getUTCMonth() + 1, t.getUTCDate()];
      if (!this.months.has(mo) || !this.dayMatches(y, mo, d, t.getUTCDay())) continue;
      const m = firstMatchFrom(this.timeOfDay, Math.max(fromWall, dayStart));
      if (m !== undefined && m < dayStart + DAY_MS) return m;
    }
    return undefined;
  }

  /** The first second in (fromMs, toMs] whose offset is not `offset`; undefined if none. */
  private offsetChange(fromMs: number, toMs: number, offset: number): number | undefined {
    let lo = fromMs;
    for (;;) {
      const probe = Math.min(lo + DAY_MS, toMs);
      if (probe <= lo) return undefined;
      if (this.offsetAt(probe) !== offset) {
        let hi = probe;
        while (hi - lo > 1000) {
          const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
          if (this.offsetAt(mid) === offset) lo = mid;
          else hi = mid;
        }
        return hi;
      }
      lo = probe;
    }
  }
}
