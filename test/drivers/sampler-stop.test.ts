import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceRunner } from '../../src/drivers/sampler.js';
import type { DeviceDriver, Reading } from '../../src/drivers/types.js';

test('stop() lets a sample under way finish and delivers it (no gap in a counter)', async () => {
  let release: (() => void) | undefined;
  const driver: DeviceDriver = {
    open: () => Promise.resolve(),
    sample: () =>
      new Promise<readonly Reading[]>((resolve) => {
        release = () => {
          resolve([{ n: 'value', v: 7, timeMs: Date.now(), monoMs: 0 }]);
        };
      }),
    close: () => Promise.resolve(),
  };
  const got: Reading[] = [];
  const runner = new DeviceRunner({ name: 'slow', driver, onReadings: (r) => got.push(...r) });
  runner.start();
  while (runner.status().state !== 'running') await new Promise((r) => setTimeout(r, 5));
  const sampling = runner.sampleNow();
  const stopping = runner.stop();
  await new Promise((r) => setTimeout(r, 20));
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
