import { test } from 'node:test';
import assert from 'node:assert/strict';
import cron from 'node-cron';
import { CronHub, type HubTimers } from '../../src/drivers/cron-hub.js';
import { CronMatcher } from '../../src/drivers/cron-match.js';
import { cronTrigger } from '../../src/drivers/trigger.js';
import { ManualClock } from '../../src/util/clock.js';

// First in this file: node-cron caches its formatters, so a later test would not see a new one.
test('sampling never touches Intl (its ICU data cost ~7 MiB of RSS with node-cron)', (t) => {
  const original = Intl.DateTimeFormat;
  t.after(() => {
    Intl.DateTimeFormat = original;
  });
  Intl.DateTimeFormat = function refused(): never {
    throw new Error('Intl.DateTimeFormat used');
  } as unknown as typeof Intl.DateTimeFormat;
  const hub = new CronHub({ setTimeout: () => 0, clearTimeout: () => undefined });
  for (const expr of ['*/10 * * * * *', '0 0 9 LW * *', '0 0 9 * * 1#2']) hub.add(expr, () => undefined)();
  for (const expr of ['*/10 * * * * *', '0 0 9 LW * *', '0 0 9 * * 1#2']) {
    const m = new CronMatcher(expr);
    let at = Date.UTC(2026, 2, 1);
    for (let i = 0; i < 5; i++) at = m.next(at) ?? assert.fail(expr);
  }
});

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

test('a cron trigger fires at each matching instant, never before it (injected clock)', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 0, 0, 2, 500));
  const hub = new CronHub(clock, () => 0);
  const fired: string[] = [];
  const trigger = cronTrigger('*/5 * * * * *', undefined, hub);
  trigger.start(() => fired.push(new Date(clock.nowMs()).toISOString()));
  clock.advance(2499);
  assert.deepEqual(fired, [], 'nothing at 00:00:04.999');
  clock.advance(1);
  assert.deepEqual(fired, ['2026-01-01T00:00:05.000Z']);
  clock.advance(10_000);
  assert.deepEqual(fired.slice(1), ['2026-01-01T00:00:10.000Z', '2026-01-01T00:00:15.000Z']);
  trigger.stop();
  assert.equal(clock.pendingTimers(), 0);
});

test('a daily local-time expression is reached through hour-long waits, in the zone given', () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1, 12));
  const hub = new CronHub(clock, () => 3_600_000); // local time is UTC+1
  const fired: string[] = [];
  const trigger = cronTrigger('0 0 3 * * *', undefined, hub);
  trigger.start(() => fired.push(new Date(clock.nowMs()).toISOString()));
  clock.advance(2 * 86_400_000);
  assert.deepEqual(fired, ['2026-01-02T02:00:00.000Z', '2026-01-03T02:00:00.000Z']);
  trigger.stop();
});
