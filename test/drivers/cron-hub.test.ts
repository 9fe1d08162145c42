import { test } from 'node:test';
import assert from 'node:assert/strict';
import cron from 'node-cron';
import { CronHub, type HubTimers } from '../../src/drivers/cron-hub.js';
import { cronTrigger } from '../../src/drivers/trigger.js';

/** Real timers, counted: how many are armed at once, and how many wake-ups ran. */
function countingTimers(): HubTimers & { armed: number; maxArmed: number; wakeUps: number } {
  const t = {
    armed: 0,
    maxArmed: 0,
    wakeUps: 0,
    setTimeout(fn: () => void, ms: number): unknown {
      t.armed++;
      t.maxArmed = Math.max(t.maxArmed, t.armed);
      return setTimeout(() => {
        t.armed--;
        t.wakeUps++;
        fn();
      }, ms);
    },
    clearTimeout(h: unknown): void {
      t.armed--;
      clearTimeout(h as NodeJS.Timeout);
    },
  };
  return t;
}

test('devices due at the same instant share one timer and one wake-up (real time)', async () => {
  const timers = countingTimers();
  const hub = new CronHub(timers);
  const fired: { device: string; wakeUp: number }[] = [];
  const triggers = ['a', 'b', 'c'].map((device) => {
    const t = cronTrigger('* * * * * *', undefined, hub);
    t.start(() => fired.push({ device, wakeUp: timers.wakeUps }));
    return t;
  });
  // A different expression due at the even seconds: still the same wake-up then.
  const even = cronTrigger('*/2 * * * * *', undefined, hub);
  even.start(() => fired.push({ device: 'even', wakeUp: timers.wakeUps }));
  assert.equal(timers.maxArmed, 1, 'one timer for all four triggers');
  await new Promise<void>((resolve, reject) => {
    const limit = setTimeout(() => {
      reject(new Error('not two sampling instants within 5 s'));
    }, 5000);
    const poll = setInterval(() => {
      if (new Set(fired.map((f) => f.wakeUp)).size >= 2 && fired.some((f) => f.device === 'even')) {
        clearInterval(poll);
        clearTimeout(limit);
        resolve();
      }
    }, 20);
  });
  for (const t of [...triggers, even]) t.stop();
  assert.equal(hub.size, 0);
  assert.equal(timers.armed, 0, 'nothing left armed');
  const byWakeUp = new Map<number, string[]>();
  for (const f of fired) byWakeUp.set(f.wakeUp, [...(byWakeUp.get(f.wakeUp) ?? []), f.device]);
  for (const devices of byWakeUp.values()) {
    assert.deepEqual(
      devices.filter((d) => d !== 'even'),
      ['a', 'b', 'c'],
      'every per-second device fired in each wake-up',
    );
  }
  assert.equal(timers.maxArmed, 1);
});

test('a stopped trigger leaves no node-cron task behind', () => {
  const before = cron.getTasks().size;
  const hub = new CronHub();
  const t = cronTrigger('*/5 * * * * *', undefined, hub);
  t.start(() => undefined);
  t.stop();
  assert.equal(cron.getTasks().size, before);
});
