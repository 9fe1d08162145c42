import { test } from 'node:test';
import assert from 'node:assert/strict';
import { callWithTimeout } from '../../src/drivers/timeout.js';
import { ManualClock } from '../../src/util/clock.js';
import { AgentError } from '../../src/util/errors.js';

test('resolves with the result and clears its timer', async () => {
  const clock = new ManualClock();
  assert.equal(await callWithTimeout(clock, () => Promise.resolve(42), 100, 'x'), 42);
  assert.equal(clock.pendingTimers(), 0);
});

/** A rejection with a plain string, as careless driver code might produce. */
function nonErrorRejection(): Promise<never> {
  return new Promise<never>((_resolve, reject: (reason: unknown) => void) => {
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- the point of the test
    reject('text');
  });
}

test('a synchronous throw and a non-Error rejection become Error rejections', async () => {
  const clock = new ManualClock();
  await assert.rejects(
    callWithTimeout(
      clock,
      () => {
        throw new Error('sync');
      },
      100,
      'x',
    ),
    /sync/,
  );
  await assert.rejects(
    callWithTimeout(clock, () => nonErrorRejection(), 100, 'x'),
    (e: unknown) => e instanceof Error && e.message === 'text',
  );
});

test('a call that never settles times out with DRIVER_TIMEOUT naming it', async () => {
  const clock = new ManualClock();
  const p = callWithTimeout(clock, () => new Promise<never>(() => undefined), 250, 'air: sample');
  clock.advance(250);
  await assert.rejects(
    p,
    (e: unknown) =>
      e instanceof AgentError && e.code === 'DRIVER_TIMEOUT' && e.message.startsWith('air: sample'),
  );
});
