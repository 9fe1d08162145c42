import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alwaysSchedule, parseSchedule, validateScheduleEntry } from '../../src/connectivity/schedule.js';
import { ScheduleError } from '../../src/connectivity/errors.js';

const at = (iso: string): number => Date.parse(iso);
const iso = (ms: number | undefined): string | undefined =>
  ms === undefined ? undefined : new Date(ms).toISOString();

test('minutes 0-4 of every hour', () => {
  const s = parseSchedule(['* 0-4 * * * * *']);
  assert.equal(s.isInside(at('2026-03-10T12:03:10.500Z')), true);
  assert.equal(s.isInside(at('2026-03-10T12:04:59.999Z')), true);
  assert.equal(s.isInside(at('2026-03-10T12:05:00Z')), false);
  assert.equal(iso(s.nextOpening(at('2026-03-10T12:05:00Z'))), '2026-03-10T13:00:00.000Z');
  assert.equal(iso(s.nextOpening(at('2026-12-31T23:59:59Z'))), '2027-01-01T00:00:00.000Z');
  // Inside already: the opening is now.
  assert.equal(s.nextOpening(at('2026-03-10T12:03:10.500Z')), at('2026-03-10T12:03:10.500Z'));
  assert.equal(iso(s.windowEnd(at('2026-03-10T12:03:10.500Z'))), '2026-03-10T12:05:00.000Z');
  // Outside: the window "ends" at once.
  assert.equal(s.windowEnd(at('2026-03-10T12:30:00Z')), at('2026-03-10T12:30:00Z'));
});

test('leap day at noon: one second every four years', () => {
  const s = parseSchedule(['0 0 12 29 2 * *']);
  assert.equal(iso(s.nextOpening(at('2026-01-01T00:00:00Z'))), '2028-02-29T12:00:00.000Z');
  assert.equal(iso(s.windowEnd(at('2028-02-29T12:00:00.250Z'))), '2028-02-29T12:00:01.000Z');
  assert.equal(iso(s.nextOpening(at('2028-02-29T12:00:01Z'))), '2032-02-29T12:00:00.000Z');
  // 2100 is not a leap year.
  assert.equal(iso(s.nextOpening(at('2096-03-01T00:00:00Z'))), '2104-02-29T12:00:00.000Z');
});

test('the year field: a whole year, and nothing after it', () => {
  const s = parseSchedule(['* * * * * * 2031']);
  assert.equal(iso(s.nextOpening(at('2026-05-05T05:05:05Z'))), '2031-01-01T00:00:00.000Z');
  assert.equal(iso(s.windowEnd(at('2031-06-01T10:00:00Z'))), '2032-01-01T00:00:00.000Z');
  assert.equal(s.nextOpening(at('2032-01-01T00:00:00Z')), undefined);
  assert.equal(parseSchedule(['* * * * * * 2000']).nextOpening(at('2026-01-01T00:00:00Z')), undefined);
  assert.equal(parseSchedule(['* * * * * * *']).isInside(at('1999-12-31T23:59:59Z')), false);
});

test('weekday office hours cross the weekend', () => {
  const s = parseSchedule(['* * 8-20 * * 1-5 *']);
  // 2026-01-02 is a Friday.
  assert.equal(iso(s.windowEnd(at('2026-01-02T10:00:00Z'))), '2026-01-02T21:00:00.000Z');
  assert.equal(iso(s.nextOpening(at('2026-01-02T21:00:00Z'))), '2026-01-05T08:00:00.000Z');
  assert.equal(s.isInside(at('2026-01-03T12:00:00Z')), false);
});

test('the reference examples: three short windows a day, every other hour, every other weekday', () => {
  const three = parseSchedule(['* 0-5 2,6,10 * * * *']);
  assert.equal(iso(three.windowEnd(at('2026-01-01T02:00:00Z'))), '2026-01-01T02:06:00.000Z');
  assert.equal(iso(three.nextOpening(at('2026-01-01T02:06:00Z'))), '2026-01-01T06:00:00.000Z');
  assert.equal(iso(three.nextOpening(at('2026-01-01T10:06:00Z'))), '2026-01-02T02:00:00.000Z');

  const even = parseSchedule(['* * 0-23/2 * * * *']);
  assert.equal(iso(even.windowEnd(at('2026-01-01T00:30:00Z'))), '2026-01-01T01:00:00.000Z');
  assert.equal(iso(even.nextOpening(at('2026-01-01T01:00:00Z'))), '2026-01-01T02:00:00.000Z');
  assert.equal(iso(even.nextOpening(at('2026-01-01T23:00:00Z'))), '2026-01-02T00:00:00.000Z');

  // Sun, Tue, Thu, Sat; 2026-01-01 is a Thursday. Saturday and Sunday make one window.
  const alt = parseSchedule(['* * * * * */2 *']);
  assert.equal(iso(alt.windowEnd(at('2026-01-01T09:00:00Z'))), '2026-01-02T00:00:00.000Z');
  assert.equal(iso(alt.nextOpening(at('2026-01-02T05:00:00Z'))), '2026-01-03T00:00:00.000Z');
  assert.equal(iso(alt.windowEnd(at('2026-01-03T00:00:00Z'))), '2026-01-05T00:00:00.000Z');
});

test('day-of-month and day-of-week both restricted: every field must match (not cron OR)', () => {
  const s = parseSchedule(['0 0 0 13 * 5 *']);
  // Classic cron would open on Friday 2026-01-02 or Tuesday 2026-01-13; only Friday the 13th counts.
  assert.equal(iso(s.nextOpening(at('2026-01-01T00:00:00Z'))), '2026-02-13T00:00:00.000Z');
  assert.equal(iso(s.nextOpening(at('2026-02-13T00:00:01Z'))), '2026-03-13T00:00:00.000Z');
  assert.equal(s.isInside(at('2026-01-02T00:00:00Z')), false);
});

test('several entries form a union; adjacent windows join', () => {
  const s = parseSchedule(['* * 1 * * * *', '* * 2 * * * *', '* 30-59 5 * * * *']);
  assert.equal(iso(s.windowEnd(at('2026-01-01T01:30:00Z'))), '2026-01-01T03:00:00.000Z');
  assert.equal(iso(s.nextOpening(at('2026-01-01T03:00:00Z'))), '2026-01-01T05:30:00.000Z');
  // Complementary halves cover every second: the window never ends.
  const whole = parseSchedule(['0-29 * * * * * *', '30-59 * * * * * *']);
  assert.equal(whole.windowEnd(at('2026-01-01T00:00:00Z')), undefined);
  assert.equal(alwaysSchedule.windowEnd(0), undefined);
  assert.equal(alwaysSchedule.nextOpening(5), 5);
  // Interleaved entries that cannot be merged: a correct end, or a re-check point still inside.
  const mixed = parseSchedule(['0-29 * * * * * *', '30-59 * * * * * 2026']);
  const t0 = at('2026-12-31T20:00:00Z');
  const end = mixed.windowEnd(t0);
  assert.ok(end !== undefined && end > t0);
  assert.ok(end === at('2027-01-01T00:00:30Z') || mixed.isInside(end), iso(end));
  assert.equal(iso(mixed.windowEnd(at('2026-12-31T23:50:00Z'))), '2027-01-01T00:00:30.000Z');
  // Entries parsed to the same window are harmless.
  assert.equal(
    iso(parseSchedule(['* 0 * * * * *', '* 0 * * * * *']).windowEnd(at('2026-01-01T00:00:10Z'))),
    '2026-01-01T00:01:00.000Z',
  );
});

/** Second-by-second reference answers, bounded to a few days. */
function scan(isInside: (ms: number) => boolean, from: number, want: boolean): number | undefined {
  if (isInside(from) === want) return from;
  for (let t = Math.floor(from / 1000) * 1000 + 1000; t < from + 3 * 86_400_000; t += 1000) {
    if (isInside(t) === want) return t;
  }
  return undefined;
}

test('nextOpening and windowEnd agree with a second-by-second scan', () => {
  const cases = [
    ['* 0-4 * * * * *'],
    ['* * 8-20 * * 1-5 *'],
    ['* 0-5 2,6,10 * * * *'],
    ['*/15 10-12/2,40 */6 * * * *'],
    ['0-9,50-59 59 23 * * * *', '* 0 0 * * * *'],
    ['* * * 1-2 * * *', '* * 23 31 * * *'],
  ];
  const starts = [
    '2026-01-31T22:59:58.300Z',
    '2026-02-01T00:00:00Z',
    '2026-03-04T05:59:59Z',
    '2026-12-31T23:59:55Z',
  ];
  for (const entries of cases) {
    const s = parseSchedule(entries);
    for (const start of starts) {
      const from = at(start);
      const open = scan((t) => s.isInside(t), from, true);
      if (open !== undefined)
        assert.equal(iso(s.nextOpening(from)), iso(open), `${entries.join('|')} open from ${start}`);
      const inside = open ?? from;
      const close = scan((t) => s.isInside(t), inside, false);
      if (close !== undefined) {
        assert.equal(iso(s.windowEnd(inside)), iso(close), `${entries.join('|')} end from ${iso(inside)}`);
      }
    }
  }
});

test('parse errors name the field, the value and the allowed range', () => {
  assert.deepEqual(validateScheduleEntry('* * 25 * * * *'), ['field hour: 25 is outside 0-23']);
  assert.deepEqual(validateScheduleEntry('* 0-4 * * * * *'), []);
  const messages = (s: string): string => validateScheduleEntry(s).join(' | ');
  assert.match(messages('60 * * * * * *'), /field second: 60 is outside 0-59/);
  assert.match(messages('* * * 0 * * *'), /field day-of-month: 0 is outside 1-31/);
  assert.match(messages('* * * * 13 * *'), /field month: 13 is outside 1-12/);
  assert.match(messages('* * * * * 7 *'), /field day-of-week: 7 is outside 0-6/);
  assert.match(messages('* * * * * * 1999'), /field year: 1999 is outside 2000-9999/);
  assert.match(messages('* x * * * * *'), /field minute: "x" is not a number \(allowed 0-59\)/);
  assert.match(messages('* * 20-8 * * * *'), /field hour: range 20-8 is reversed \(allowed 0-23/);
  assert.match(
    messages('* */0 * * * * *'),
    /field minute: step in "\*\/0" must be .* at least 1 \(values 0-59\)/,
  );
  assert.match(
    messages('*/61 * * * * * *'),
    /field second: step 61 in "\*\/61" is larger than the field \(60 values/,
  );
  assert.deepEqual(validateScheduleEntry('*/60 * * * * * *'), []);
  assert.match(messages('* 1,,2 * * * * *'), /field minute: empty list item in "1,,2" \(allowed 0-59\)/);
  assert.match(messages('* * * * * *'), /expected 7 fields .* got 6 .*add the year field/);
  assert.match(messages('0 0 0 31 2 * *'), /field day-of-month: 31 never occurs in month 2/);
  assert.match(messages('0 0 0 29 2 * 2027'), /never occurs .*leap year/);
  assert.deepEqual(validateScheduleEntry('0 0 0 29 2 * 2028'), []);
  // Every bad field of an entry is reported, not only the first.
  assert.equal(validateScheduleEntry('61 61 25 * * * *').length, 3);
});

test('parseSchedule throws one ScheduleError with every issue of every entry', () => {
  assert.throws(
    () => parseSchedule(['* * * * * * *', '* * 25 * * * *', '* 99 * * 13 * *']),
    (err: unknown) => {
      assert.ok(err instanceof ScheduleError);
      assert.equal(err.code, 'SCHEDULE_INVALID');
      assert.deepEqual(
        err.issues.map((i) => [i.index, i.field, i.value]),
        [
          [1, 'hour', '25'],
          [2, 'minute', '99'],
          [2, 'month', '13'],
        ],
      );
      assert.equal(err.issues[0]?.message, 'field hour: 25 is outside 0-23');
      return true;
    },
  );
  assert.throws(() => parseSchedule([]), ScheduleError);
});
