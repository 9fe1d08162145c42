import { test } from 'node:test';
import assert from 'node:assert/strict';
import { doublingBackoff, exponentialBackoff, stepBackoff } from '../../src/util/backoff.js';
import { BackoffOptionsError } from '../../src/util/backoff.js';

const fixed = (r: number) => (): number => r;

test('attempt 0 waits exactly the floor whatever the random draw', () => {
  for (const r of [0, 0.5, 0.999999]) {
    assert.equal(exponentialBackoff({ floorMs: 1000, capMs: 300_000, random: fixed(r) })(0), 1000);
  }
});

test('the ceiling grows by the factor; a draw of ~1 reaches it, a draw of 0 stays on the floor', () => {
  const high = exponentialBackoff({ floorMs: 1000, capMs: 300_000, random: fixed(0.999999) });
  const low = exponentialBackoff({ floorMs: 1000, capMs: 300_000, random: fixed(0) });
  assert.deepEqual(
    [1, 2, 3, 4].map((a) => high(a)),
    [2000, 4000, 8000, 16000],
  );
  assert.deepEqual(
    [1, 2, 3, 4].map((a) => low(a)),
    [1000, 1000, 1000, 1000],
  );
  const three = exponentialBackoff({ floorMs: 100, capMs: 1e6, factor: 3, random: fixed(0.5) });
  assert.equal(three(2), 100 + 0.5 * (900 - 100));
});

test('full jitter: delays spread over [floor, ceiling] and never leave [floor, cap]', () => {
  let seed = 42;
  const lcg = (): number => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const backoff = exponentialBackoff({ floorMs: 1000, capMs: 30_000, random: lcg });
  const seen: number[] = [];
  for (let attempt = 0; attempt < 200; attempt++) {
    const ms = backoff(attempt);
    assert.ok(ms >= 1000 && ms <= 30_000, `attempt ${attempt}: ${ms}`);
    if (attempt >= 10) seen.push(ms);
  }
  // With the ceiling at the cap, draws cover the range instead of piling up at one value.
  assert.ok(Math.min(...seen) < 10_000);
  assert.ok(Math.max(...seen) > 20_000);
});

test('huge attempt numbers and odd inputs stay bounded', () => {
  const backoff = exponentialBackoff({ floorMs: 1000, capMs: 300_000, random: fixed(0.999999) });
  assert.equal(backoff(10_000), 300_000);
  assert.equal(backoff(Number.POSITIVE_INFINITY), 1000);
  assert.equal(backoff(-5), 1000);
  assert.equal(backoff(Number.NaN), 1000);
  const badRandom = exponentialBackoff({ floorMs: 1000, capMs: 5000, random: fixed(7) });
  assert.equal(badRandom(10), 5000);
  const nanRandom = exponentialBackoff({ floorMs: 1000, capMs: 5000, random: fixed(Number.NaN) });
  assert.equal(nanRandom(10), 1000);
});

test('a floor equal to the cap gives a constant delay', () => {
  const backoff = exponentialBackoff({ floorMs: 5000, capMs: 5000, random: fixed(0.7) });
  assert.deepEqual([0, 1, 9].map(backoff), [5000, 5000, 5000]);
});

test('options that would allow a tight loop are refused with a named error', () => {
  for (const opts of [
    { floorMs: 0, capMs: 1000 },
    { floorMs: 2000, capMs: 1000 },
    { floorMs: 1000, capMs: 2000, factor: 0.5 },
    { floorMs: Number.NaN, capMs: 1000 },
  ]) {
    assert.throws(
      () => exponentialBackoff(opts),
      (err: unknown) => err instanceof BackoffOptionsError && err.code === 'BACKOFF_OPTIONS_INVALID',
    );
  }
});

test('doubling backoff: floor * factor^attempt up to the cap, no jitter unless asked', () => {
  const serial = doublingBackoff({ floorMs: 500, capMs: 30_000 });
  assert.deepEqual(
    [0, 1, 2, 3, 6, 7, 1000, 5000].map(serial),
    [500, 1000, 2000, 4000, 30_000, 30_000, 30_000, 30_000],
  );
});

test('doubling backoff with ±20 % jitter scales each delay, also at the cap', () => {
  const at = (r: number) => doublingBackoff({ floorMs: 1000, capMs: 300_000, jitter: 0.2, random: fixed(r) });
  assert.deepEqual([0, 3, 30].map(at(0.5)), [1000, 8000, 300_000]);
  assert.deepEqual([0, 30].map(at(0)), [800, 240_000]);
  assert.deepEqual([0, 30].map(at(0.999999)), [1200, 360_000]);
});

test('step backoff: one pause per attempt, the last one repeating', () => {
  const steps = stepBackoff([1_000, 2_000, 5_000]);
  assert.deepEqual([0, 1, 2, 3, 100].map(steps), [1_000, 2_000, 5_000, 5_000, 5_000]);
  assert.throws(
    () => stepBackoff([]),
    (err: unknown) => err instanceof BackoffOptionsError && err.code === 'BACKOFF_OPTIONS_INVALID',
  );
});
