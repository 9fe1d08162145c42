/**
 * The sampler's own next-match search (drivers/cron-match.ts) against node-cron's, which it
 * replaces: same expressions, same start instants, several time zones (each zone's offset read
 * through Intl here, in the test only). Daylight-saving changes are where the two differ on
 * purpose; those cases are left out of the comparison and tested on their own below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import cron from 'node-cron';
import { CronMatcher, type OffsetAt } from '../../src/drivers/cron-match.js';

const EXPRESSIONS = [
  '* * * * * *',
  '*/10 * * * * *',
  '*/7 * * * * *',
  '*/60 * * * * *',
  '0 * * * * *',
  '30 */5 * * * *',
  '0 0 * * * *',
  '15,45 10-20/3 * * * *',
  '0 0 8-20 * * 1-5',
  '0 30 2 * * *',
  '0 0 0 * jan-mar mon-fri',
  '0 0 12 * * 5-7',
  '0 0 12 * * 7',
  '0 0 0 1 * *',
  '0 0 0 31 * *',
  '0 0 0 29 2 *',
  '0 0 0 13 * 5',
  '59 59 23 31 12 *',
  '0 0 0 ? * sun',
  '0 0 0 * * ?',
  '0 0 9 L * *',
  '0 0 9 L-3 * *',
  '0 0 9 15W * *',
  '0 0 9 1W * *',
  '0 0 9 LW * *',
  '0 0 9 * * 5L',
  '0 0 9 * * 1#2',
  '0 0 9 * * 0#5',
  '0 0 9 * feb 2#1',
  '0 0 9 1,L * *',
  '0 0 9 L * 1-5',
  '0 0 0 * * SATURDAY',
  '0 0 0 1 JANUARY,july *',
];

const ZONES = ['UTC', 'Europe/Berlin', 'America/St_Johns', 'Asia/Kolkata', 'Australia/Lord_Howe'];

/** A zone's UTC offset in ms at an instant, through Intl (test-only: the agent avoids Intl). */
function offsetIn(zone: string): OffsetAt {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' });
  return (ms) => {
    const name = fmt.formatToParts(new Date(ms)).find((p) => p.type === 'timeZoneName')?.value ?? '';
    const m = /GMT([+-])(\d{2}):(\d{2})/.exec(name);
    if (!m) return 0;
    return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) * 60_000;
  };
}

/** node-cron's next match after an arbitrary instant (its public API counts from the real clock). */
function nodeCronNext(expr: string, zone: string): (ms: number) => number {
  const task = cron.createTask(expr, () => undefined, { timezone: zone });
  const matcher = (task as unknown as { timeMatcher: { getNextMatch(d: Date): Date } }).timeMatcher;
  void task.destroy();
  return (ms) => matcher.getNextMatch(new Date(ms)).getTime();
}

/** Start instants: month and year ends, a leap day, odd milliseconds, spread over seven years. */
function startInstants(): number[] {
  const fixed = [
    Date.UTC(2026, 0, 1),
    Date.UTC(2026, 0, 31, 23, 59, 59, 999),
    Date.UTC(2028, 1, 28, 12),
    Date.UTC(2028, 1, 29, 23, 59, 30),
    Date.UTC(2026, 11, 31, 23, 59, 58, 500),
    Date.UTC(2027, 5, 15, 8, 0, 0, 1),
  ];
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const span = Date.UTC(2031, 0, 1) - Date.UTC(2024, 0, 1);
  for (let i = 0; i < 14; i++) fixed.push(Date.UTC(2024, 0, 1) + Math.floor(random() * span));
  return fixed;
}

/** True when the offset changes between a and b (checked every day): a DST-relevant case. */
function crossesChange(offsetAt: OffsetAt, a: number, b: number): boolean {
  const o = offsetAt(a);
  for (let t = a; t < b; t += 86_400_000) if (offsetAt(t) !== o) return true;
  return offsetAt(b) !== o;
}

test('next match equals node-cron for every expression, start instant and zone (no DST change in between)', () => {
  let compared = 0;
  let skipped = 0;
  for (const zone of ZONES) {
    const offsetAt = offsetIn(zone);
    for (const expr of EXPRESSIONS) {
      const ours = new CronMatcher(expr, offsetAt);
      const theirs = nodeCronNext(expr, zone);
      for (const start of startInstants()) {
        const expected = theirs(start);
        if (crossesChange(offsetAt, start, expected)) {
          skipped++;
          continue;
        }
        // Also the match after the match: consecutive instants agree, not only the first.
        for (const from of [start, expected]) {
          const want = theirs(from);
          if (crossesChange(offsetAt, from, want)) continue;
          assert.equal(
            ours.next(from),
            want,
            `${JSON.stringify(expr)} in ${zone} after ${new Date(from).toISOString()}: want ${new Date(want).toISOString()}`,
          );
          compared++;
        }
      }
    }
  }
  assert.ok(compared > 5 * skipped, `compared ${compared}, skipped ${skipped} DST-relevant cases`);
});

test('local time is the process time zone by default', () => {
  const start = Date.UTC(2026, 6, 1, 10, 0, 0);
  const theirs = cron.createTask('0 0 3 * * *', () => undefined);
  const want = (theirs as unknown as { timeMatcher: { getNextMatch(d: Date): Date } }).timeMatcher
    .getNextMatch(new Date(start))
    .getTime();
  void theirs.destroy();
  assert.equal(new CronMatcher('0 0 3 * * *').next(start), want);
});

/** A zone at +1 h that moves to +2 h at `springMs` and back to +1 h at `autumnMs`. */
function fakeDst(springMs: number, autumnMs: number): OffsetAt {
  return (ms) => (ms >= springMs && ms < autumnMs ? 7_200_000 : 3_600_000);
}
// Central European rules for 2026: 29 March 01:00 UTC and 25 October 01:00 UTC.
const SPRING = Date.UTC(2026, 2, 29, 1);
const AUTUMN = Date.UTC(2026, 9, 25, 1);
const zone = fakeDst(SPRING, AUTUMN);

test('spring forward: sampling goes on every 10 s; a time of day that does not exist is skipped', () => {
  const every10 = new CronMatcher('*/10 * * * * *', zone);
  for (let at = SPRING - 60_000; at < SPRING + 60_000;) {
    const next = every10.next(at) ?? assert.fail('no next');
    assert.equal(next - at, 10_000, `after ${new Date(at).toISOString()}`);
    at = next;
  }
  // 02:30 local does not exist on 29 March: the next 02:30 is the day after (+2 h then).
  const daily = new CronMatcher('0 30 2 * * *', zone);
  assert.equal(daily.next(SPRING - 3_600_000), Date.UTC(2026, 2, 30, 0, 30));
});

test('fall back: sampling goes on every 10 s through the repeated hour, and 02:30 happens twice', () => {
  const every10 = new CronMatcher('*/10 * * * * *', zone);
  for (let at = AUTUMN - 3_600_000; at < AUTUMN + 3_600_000;) {
    const next = every10.next(at) ?? assert.fail('no next');
    assert.equal(next - at, 10_000, `after ${new Date(at).toISOString()}`);
    at = next;
  }
  const daily = new CronMatcher('0 30 2 * * *', zone);
  const first = daily.next(AUTUMN - 7_200_000) ?? assert.fail('no first');
  assert.equal(first, Date.UTC(2026, 9, 25, 0, 30), '02:30 summer time');
  assert.equal(daily.next(first), Date.UTC(2026, 9, 25, 1, 30), '02:30 winter time, an hour later');
  assert.equal(daily.next(Date.UTC(2026, 9, 25, 1, 30)), Date.UTC(2026, 9, 26, 1, 30));
});

test('an expression that can never match again has no next instant', () => {
  // Check accepts it (the W token is not checked against the month); node-cron throws here.
  assert.equal(new CronMatcher('0 0 0 30W 2 *', () => 0).next(Date.UTC(2026, 0, 1)), undefined);
});

test('a clock before 2000 (a board without RTC, before NTP) still samples', () => {
  const m = new CronMatcher('*/5 * * * * *', () => 0);
  assert.equal(m.next(2_000), 5_000);
});
