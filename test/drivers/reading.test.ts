import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkReadings, makeReading, readingValue } from '../../src/drivers/reading.js';
import { ManualClock } from '../../src/util/clock.js';
import { AgentError } from '../../src/util/errors.js';

test('makeReading stamps wall and monotonic time from the clock and picks v / vb / vs', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1));
  clock.advance(1500);
  assert.deepEqual(makeReading(clock, 't', 21.5, 'Cel'), {
    n: 't',
    v: 21.5,
    u: 'Cel',
    timeMs: Date.UTC(2026, 0, 1) + 1500,
    monoMs: 1500,
  });
  assert.deepEqual(makeReading(clock, 'door', true), {
    n: 'door',
    vb: true,
    timeMs: clock.nowMs(),
    monoMs: 1500,
  });
  assert.equal(makeReading(clock, 'id', 'abc').vs, 'abc');
  assert.equal(readingValue(makeReading(clock, 'x', false)), false);
});

test('checkReadings accepts good readings and names the first problem of bad ones', () => {
  const clock = new ManualClock();
  const good = [makeReading(clock, 'a', 1)];
  assert.equal(checkReadings(good), good);
  const bad: unknown[] = [
    'nope',
    [null],
    [{ v: 1, timeMs: 0, monoMs: 0 }],
    [{ n: 'a', timeMs: 0, monoMs: 0 }],
    [{ n: 'a', v: 1, vb: true, timeMs: 0, monoMs: 0 }],
    [{ n: 'a', v: NaN, timeMs: 0, monoMs: 0 }],
    [{ n: 'a', v: '1', timeMs: 0, monoMs: 0 }],
    [{ n: 'a', v: 1, monoMs: 0 }],
    [{ n: 'a', v: 1, u: 5, timeMs: 0, monoMs: 0 }],
  ];
  for (const b of bad) {
    assert.throws(
      () => checkReadings(b),
      (e: unknown) => e instanceof AgentError && e.code === 'DRIVER_BAD_READING',
      JSON.stringify(b),
    );
  }
});
