import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceRunner } from '../../src/drivers/device-runner.js';
import type { DeviceDriver, Reading } from '../../src/drivers/types.js';
import { ManualClock } from '../../src/util/clock.js';

/** One turn of the event loop: whatever was ready to run (promise chains, I/O) has run. */
const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

test('stop() lets a sample under way finish and delivers it (no gap in a counter)', async () => {
  let release: (() => void) | undefined;
  const driver: DeviceDriver = {
    open: () => Promise.resolve(),
    sample: () =>
      new Promise<readonly Reading[]>((resolve) => {
        release = () => {
          resolve([{ n: 'value', v: 7, timeMs: 0, monoMs: 0 }]);
        };
      }),
    close: () => Promise.resolve(),
  };
  // Time moves only when the test says so: the stop's grace for a sample under way (5 s) is
  // stepped through on the manual clock instead of being waited for.
  const clock = new ManualClock();
  const got: Reading[] = [];
  const runner = new DeviceRunner({ name: 'slow', driver, clock, onReadings: (r) => got.push(...r) });
  runner.start();
  while (runner.status().state !== 'running') await turn();
  const sampling = runner.sampleNow();
  let stopped = false;
  const stopping = runner.stop().then(() => {
    stopped = true;
  });
  clock.advance(4_999);
  await turn();
  assert.equal(stopped, false, 'stop waits for the sample under way');
  assert.equal(got.length, 0, 'not delivered before the driver answered');
  release?.();
  await stopping;
  await sampling;
  assert.deepEqual(
    got.map((r) => r.v),
    [7],
  );
  assert.equal(runner.status().state, 'stopped');
});

test('stop() gives up on a sample that never ends after its grace (5 s on the clock)', async () => {
  const driver: DeviceDriver = {
    open: () => Promise.resolve(),
    sample: () => new Promise<readonly Reading[]>(() => undefined),
    close: () => Promise.resolve(),
  };
  const clock = new ManualClock();
  const runner = new DeviceRunner({ name: 'stuck', driver, clock, onReadings: () => undefined });
  runner.start();
  while (runner.status().state !== 'running') await turn();
  void runner.sampleNow();
  let stopped = false;
  const stopping = runner.stop().then(() => {
    stopped = true;
  });
  clock.advance(4_999);
  await turn();
  assert.equal(stopped, false);
  clock.advance(1);
  await stopping;
  assert.equal(runner.status().state, 'stopped');
});
