import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkSampleExpression, cronTrigger, intervalTrigger } from '../../src/drivers/trigger.js';
import { ManualClock } from '../../src/util/clock.js';

test('sample expressions: six fields with seconds; five or seven fields and bad values are refused', () => {
  assert.equal(checkSampleExpression('*/10 * * * * *'), undefined);
  assert.equal(checkSampleExpression('0 */5 * * * *'), undefined);
  assert.match(checkSampleExpression('* * * * *') ?? '', /6 fields/);
  assert.match(checkSampleExpression('* 0-4 * * * * *') ?? '', /6 fields/);
  assert.notEqual(checkSampleExpression('99 * * * * *'), undefined);
  assert.throws(() => cronTrigger('* * * * *'), /6 fields/);
});

test('interval trigger fires once per interval on the injected clock until stopped', () => {
  const clock = new ManualClock();
  const trigger = intervalTrigger(1000, clock);
  let fired = 0;
  trigger.start(() => fired++);
  clock.advance(999);
  assert.equal(fired, 0);
  clock.advance(1);
  assert.equal(fired, 1);
  clock.advance(3000);
  assert.equal(fired, 4);
  trigger.stop();
  clock.advance(5000);
  assert.equal(fired, 4);
  assert.equal(clock.pendingTimers(), 0);
  assert.throws(() => intervalTrigger(0, clock));
});

test('cron trigger (node-cron, real time): "every second" fires, and stop leaves nothing running', async () => {
  const trigger = cronTrigger('* * * * * *');
  let fired = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error('cron did not fire within 3 s'));
    }, 3000);
    trigger.start(() => {
      fired++;
      clearTimeout(timer);
      resolve();
    });
  });
  trigger.stop();
  assert.ok(fired >= 1);
});
