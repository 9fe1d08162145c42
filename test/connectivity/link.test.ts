import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as nextMacrotask } from 'node:timers/promises';
import { Link, type LinkOptions } from '../../src/connectivity/link.js';
import { parseSchedule } from '../../src/connectivity/schedule.js';
import { exponentialBackoff } from '../../src/util/backoff.js';
import type { CloseInfo, Connection } from '../../src/binding/ws/types.js';
import { codecFor } from '../../src/codec/index.js';
import { ManualClock, type TimerHandle } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';

/** A connection whose end the test controls. */
class FakeConnection implements Connection {
  readonly subprotocol = 'oneM2M.json';
  readonly codec = codecFor('json');
  readonly serialization = 'json' as const;
  readonly inFlight = 0;
  isOpen = true;
  readonly closeCalls: { code: number; reason: string; graceMs: number }[] = [];
  readonly closed: Promise<CloseInfo>;
  private resolveClosed!: (i: CloseInfo) => void;
  constructor() {
    this.closed = new Promise((r) => {
      this.resolveClosed = r;
    });
  }
  request(): never {
    throw new Error('not used by the link');
  }
  close(code = 1000, reason = '', graceMs = 0): Promise<CloseInfo> {
    this.closeCalls.push({ code, reason, graceMs });
    this.end({ code, reason, local: true });
    return this.closed;
  }
  /** The peer or the network ended it. */
  drop(code = 1006): void {
    this.end({ code, reason: 'gone', local: false });
  }
  private end(info: CloseInfo): void {
    if (!this.isOpen) return;
    this.isOpen = false;
    this.resolveClosed(info);
  }
}

/** A manual clock that counts the timers set on it (a tight loop shows as thousands). */
class CountingClock extends ManualClock {
  timersSet = 0;
  override setTimeout(fn: () => void, ms: number): TimerHandle {
    this.timersSet++;
    return super.setTimeout(fn, ms);
  }
}

interface Rig {
  link: Link;
  clock: CountingClock;
  log: ReturnType<typeof memoryLogger>;
  conns: FakeConnection[];
  /** Monotonic ms of every connect attempt. */
  attempts: number[];
  /** Attempt numbers the backoff was asked for. */
  backoffCalls: number[];
  sessions: number;
  world: { failing: boolean; urgent: boolean; work: boolean };
  current(): FakeConnection | undefined;
  /** Advances simulated time in steps, letting the link's promises run between them. */
  run(ms: number, stepMs?: number): Promise<void>;
}

async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await nextMacrotask();
}

function rig(startIso: string, over: Partial<LinkOptions> = {}): Rig {
  const clock = new CountingClock(Date.parse(startIso));
  const log = memoryLogger();
  const conns: FakeConnection[] = [];
  const attempts: number[] = [];
  const backoffCalls: number[] = [];
  const world = { failing: false, urgent: false, work: false };
  const r: Rig = {
    clock,
    log,
    conns,
    attempts,
    backoffCalls,
    sessions: 0,
    world,
    link: new Link({
      connect: () => {
        attempts.push(clock.monotonicMs());
        if (world.failing) return Promise.reject(new Error('ECONNREFUSED'));
        const c = new FakeConnection();
        conns.push(c);
        return Promise.resolve(c);
      },
      session: (_conn, signal) => {
        r.sessions++;
        return new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            resolve();
          });
        });
      },
      hasUrgentWork: () => world.urgent,
      hasWork: () => world.work || world.urgent,
      backoff: (attempt) => {
        backoffCalls.push(attempt);
        return 1000;
      },
      clock,
      logger: log,
      closeGraceMs: 3000,
      urgentLingerMs: 5000,
      stableAfterMs: 60_000,
      ...over,
    }),
    current: () => conns.find((c) => c.isOpen),
    async run(ms, stepMs = 100) {
      await settle();
      for (let t = 0; t < ms; t += stepMs) {
        clock.advance(Math.min(stepMs, ms - t));
        await settle();
      }
    },
  };
  return r;
}

const stateLines = (r: Rig, level?: string): string[] =>
  r.log.lines
    .filter((l) => l.msg.startsWith('link ') && (level === undefined || l.level === level))
    .map((l) => l.msg);

test('with a schedule: opens at a window start, closes at its end with the grace, stays closed outside', async () => {
  // The first 10 seconds of every minute.
  const r = rig('2026-01-01T00:00:30Z', { schedule: parseSchedule(['0-9 * * * * * *']) });
  r.link.start();
  await r.run(29_000);
  assert.equal(r.attempts.length, 0, 'nothing before the window');
  assert.equal(r.link.stats().state, 'idle');
  await r.run(1_000); // 00:01:00
  assert.equal(r.attempts.length, 1, 'opened at the window start');
  assert.equal(r.link.stats().state, 'up');
  assert.equal(r.sessions, 1);
  await r.run(9_800);
  assert.ok(r.current(), 'still up inside the window');
  await r.run(200); // 00:01:10
  const first = r.conns[0];
  assert.equal(first?.isOpen, false, 'closed at the window end');
  assert.deepEqual(first.closeCalls, [{ code: 1000, reason: 'window closed', graceMs: 3000 }]);
  assert.equal(r.link.stats().state, 'idle');
  await r.run(49_900);
  assert.equal(r.attempts.length, 1, 'stays closed outside the window');
  await r.run(100); // 00:02:00
  assert.equal(r.attempts.length, 2, 'opens again at the next window');
  await r.link.stop();
});

test('with a schedule: starting inside a window opens at once', async () => {
  const r = rig('2026-01-01T00:00:04Z', { schedule: parseSchedule(['0-9 * * * * * *']) });
  r.link.start();
  await settle();
  assert.equal(r.attempts.length, 1);
  assert.equal(r.link.stats().state, 'up');
  await r.run(6_000);
  assert.equal(r.link.stats().state, 'idle', 'closed at 00:00:10');
  await r.link.stop();
});

test('ordinary traffic does not keep the link open past the window end', async () => {
  const r = rig('2026-01-01T00:00:00Z', { schedule: parseSchedule(['0-9 * * * * * *']) });
  r.link.start();
  await settle();
  r.world.work = true;
  for (let s = 0; s < 10; s++) {
    r.link.touch(); // a delivery every second until the end
    await r.run(1_000);
  }
  assert.equal(r.conns[0]?.isOpen, false, 'closed at 00:00:10 although it was busy');
  await r.run(20_000);
  assert.equal(r.attempts.length, 1);
  await r.link.stop();
});

test('outside a window, urgent work opens the link, which closes after the linger', async () => {
  const r = rig('2026-01-01T00:00:30Z', { schedule: parseSchedule(['0-9 * * * * * *']) });
  r.link.start();
  await r.run(2_000);
  assert.equal(r.attempts.length, 0);
  r.world.urgent = true;
  r.link.wake(); // an immediate reading was appended
  await settle();
  assert.equal(r.attempts.length, 1, 'opened outside the window');
  assert.equal(r.link.stats().state, 'up');
  await r.run(7_000);
  assert.ok(r.current(), 'held open while the urgent entry is undelivered');
  r.world.urgent = false;
  r.link.touch(); // delivered
  await r.run(4_900);
  assert.ok(r.current(), 'lingers');
  await r.run(200);
  assert.equal(r.conns[0]?.isOpen, false, 'closed once the linger passed after delivery');
  assert.equal(r.conns[0].closeCalls[0]?.code, 1000);
  await r.run(10_000);
  assert.equal(r.attempts.length, 1, 'no reopening without urgent work');
  // A few timers for the whole episode, not one per millisecond.
  assert.ok(r.clock.timersSet < 20, `timers set: ${r.clock.timersSet}`);
  await r.link.stop();
});

test('an urgent entry that stays undelivered for long does not spin the link', async () => {
  const r = rig('2026-01-01T00:00:30Z', { schedule: parseSchedule(['0-9 0 0 * * * *']) });
  r.world.urgent = true;
  r.link.start();
  await r.run(600_000, 1_000);
  assert.equal(r.attempts.length, 1);
  assert.ok(r.current());
  assert.ok(r.clock.timersSet < 200, `timers set in 10 min: ${r.clock.timersSet}`);
  await r.link.stop();
});

test('backoff: never faster than the floor, no tight loop over a long outage, one log line per state change', async () => {
  const r = rig('2026-01-01T00:00:00Z', {
    backoff: exponentialBackoff({ floorMs: 1_000, capMs: 30_000, random: () => 0.5 }),
  });
  r.world.failing = true;
  r.link.start();
  await r.run(3_600_000, 500); // an hour without the registrar
  const gaps = r.attempts.slice(1).map((t, i) => t - (r.attempts[i] ?? 0));
  assert.ok(
    gaps.every((g) => g >= 1_000),
    `a retry came sooner than the floor: ${Math.min(...gaps)} ms`,
  );
  // With the ceiling at 30 s and jitter at its middle, retries settle at ~15.5 s apart.
  assert.ok(r.attempts.length > 100 && r.attempts.length < 300, `attempts: ${r.attempts.length}`);
  assert.equal(r.link.stats().state, 'backingOff');
  assert.equal(r.link.stats().failedAttempts, r.attempts.length);
  assert.equal(r.link.stats().lastError, 'ECONNREFUSED');
  r.world.failing = false;
  await r.run(31_000, 500);
  assert.equal(r.link.stats().state, 'up');
  // connecting, backingOff (warn, once), up: not one line per attempt.
  assert.deepEqual(
    r.log.lines.filter((l) => l.msg.startsWith('link ') && l.level !== 'debug').map((l) => l.msg),
    ['link connecting', 'link backingOff', 'link up'],
  );
  assert.equal(stateLines(r, 'warn').length, 1);
  await r.link.stop();
});

test('backoff with the lowest jitter still waits the floor each time', async () => {
  const r = rig('2026-01-01T00:00:00Z', {
    backoff: exponentialBackoff({ floorMs: 2_000, capMs: 60_000, random: () => 0 }),
  });
  r.world.failing = true;
  r.link.start();
  await r.run(600_000, 250);
  assert.ok(r.attempts.length <= 301, `attempts in 10 min: ${r.attempts.length}`);
  assert.ok(r.attempts.length >= 250, 'it kept trying');
  await r.link.stop();
});

test('a wall-clock jump back during a backoff does not stretch it', async () => {
  const r = rig('2030-01-01T00:00:00Z', { backoff: () => 5_000 });
  r.world.failing = true;
  r.link.start();
  await r.run(1_000);
  assert.equal(r.attempts.length, 1);
  r.clock.jumpWall(-4 * 365 * 86_400_000); // NTP corrects a clock that ran years ahead
  r.world.failing = false;
  await r.run(4_200);
  assert.equal(r.attempts.length, 2, 'retried 5 s after the failure, by the monotonic clock');
  assert.equal(r.link.stats().state, 'up');
  await r.link.stop();
});

test('the attempt count resets after a stable connection, not after a short one', async () => {
  const r = rig('2026-01-01T00:00:00Z');
  r.world.failing = true;
  r.link.start();
  await r.run(3_500); // attempts at 0, 1, 2, 3 s
  assert.deepEqual(r.backoffCalls, [1, 2, 3, 4]);
  r.world.failing = false;
  await r.run(1_000);
  assert.equal(r.link.stats().state, 'up');
  // Up briefly, then dropped: that counts as a failure, the count goes on.
  r.current()?.drop();
  await r.run(100);
  assert.deepEqual(r.backoffCalls, [1, 2, 3, 4, 5]);
  assert.equal(r.link.stats().state, 'backingOff');
  await r.run(1_000);
  assert.equal(r.link.stats().state, 'up');
  await r.run(61_000);
  // Stable for a minute, then dropped: reconnect at once, and the next failure starts at 1.
  r.world.failing = true;
  r.current()?.drop();
  await r.run(100);
  // 4 failed + 1 up (dropped) + 1 up (stable) + 1 immediate attempt.
  assert.equal(r.attempts.length, 7, 'one immediate reconnect attempt');
  assert.deepEqual(r.backoffCalls, [1, 2, 3, 4, 5, 1]);
  assert.equal(r.link.stats().reconnects, 1, 'the last attempt failed');
  await r.link.stop();
});

test('idle close: an always-on link closes when idle and reopens on new work', async () => {
  const r = rig('2026-01-01T00:00:00Z', { idleCloseMs: 5_000 });
  r.link.start();
  await settle();
  assert.equal(r.link.stats().state, 'up', 'opens at start');
  await r.run(3_000);
  r.link.touch(); // a request completed
  await r.run(4_000);
  assert.ok(r.current(), 'activity pushed the idle close back');
  await r.run(1_100);
  assert.equal(r.conns[0]?.isOpen, false, 'closed 5 s after the last activity');
  assert.deepEqual(r.conns[0].closeCalls, [{ code: 1000, reason: 'idle', graceMs: 3000 }]);
  assert.equal(r.link.stats().state, 'idle');
  await r.run(120_000, 1_000);
  assert.equal(r.attempts.length, 1, 'stays closed while there is nothing to send');
  r.world.work = true;
  r.link.wake(); // a reading was queued
  await settle();
  assert.equal(r.attempts.length, 2, 'reopened for the new request');
  assert.equal(r.link.stats().state, 'up');
  // Work that lingers (e.g. a retry not yet due) keeps it open without a busy loop.
  const before = r.clock.timersSet;
  await r.run(60_000, 1_000);
  assert.ok(r.current());
  assert.ok(r.clock.timersSet - before < 30, `timers in a minute: ${r.clock.timersSet - before}`);
  r.world.work = false;
  await r.run(5_100);
  assert.equal(r.current(), undefined, 'closed once the work was gone and the idle time passed');
  await r.link.stop();
});

test('stop() closes the connection with 1001 after the grace and ends the session', async () => {
  const r = rig('2026-01-01T00:00:00Z');
  r.link.start();
  await settle();
  assert.equal(r.link.stats().state, 'up');
  const conn = r.current();
  await r.link.stop();
  assert.deepEqual(conn?.closeCalls, [{ code: 1001, reason: 'agent stopping', graceMs: 3000 }]);
  assert.equal(r.link.stats().state, 'stopped');
  assert.deepEqual(stateLines(r), ['link connecting', 'link up', 'link closing', 'link stopped']);
});

test('stop() during a backoff ends at once', async () => {
  const r = rig('2026-01-01T00:00:00Z', { backoff: () => 3_600_000 });
  r.world.failing = true;
  r.link.start();
  await settle();
  assert.equal(r.link.stats().state, 'backingOff');
  await r.link.stop();
  assert.equal(r.link.stats().state, 'stopped');
  assert.equal(r.attempts.length, 1);
});

test('many wake-ups while up do not pile reactions on the connection', async () => {
  const r = rig('2026-01-01T00:00:00Z');
  r.link.start();
  await settle();
  // Each wake-up re-evaluates; the link must not chain work onto conn.closed per wake-up.
  let thens = 0;
  const conn = r.current();
  assert.ok(conn);
  const original = conn.closed.then.bind(conn.closed);
  (conn.closed as { then: unknown }).then = (...args: Parameters<typeof original>) => {
    thens++;
    return original(...args);
  };
  for (let i = 0; i < 1000; i++) {
    r.link.wake();
    await nextMacrotask();
  }
  assert.ok(thens < 10, `reactions added: ${thens}`);
  await r.link.stop();
});

test('after a registrar restart the link is back within seconds, not after the backoff an outage grew', async () => {
  // The field case: a long outage grew the delay to its cap; the registrar came back, answered,
  // then restarted (dropping connections after 5-13 s) a few times.
  const r = rig('2026-01-01T00:00:00Z', {
    backoff: exponentialBackoff({ floorMs: 1_000, capMs: 300_000, random: () => 0.5 }),
  });
  r.world.failing = true;
  r.link.start();
  await r.run(1_800_000, 1_000); // half an hour down
  r.world.failing = false;
  await r.run(160_000, 500); // up again within the (capped, ~150 s) delay
  assert.equal(r.link.stats().state, 'up');
  for (const upForMs of [5_000, 13_000, 8_000]) {
    r.link.touch(); // a reading was delivered: the registrar works
    await r.run(upForMs, 500);
    r.world.failing = true; // it restarts: drops the connection and is away for 3 s
    r.current()?.drop();
    await r.run(3_000, 100);
    r.world.failing = false;
    const backAt = r.clock.monotonicMs();
    await r.run(10_000, 100);
    assert.equal(r.link.stats().state, 'up', `reconnected within 10 s after an up time of ${upForMs} ms`);
    const reconnectedAt = r.attempts[r.attempts.length - 1] ?? Infinity;
    assert.ok(reconnectedAt - backAt <= 3_000, `reconnected ${reconnectedAt - backAt} ms after it was back`);
  }
  await r.link.stop();
});

test('a connection that is accepted but answers nothing does not reset the backoff (no hammering)', async () => {
  const r = rig('2026-01-01T00:00:00Z', {
    backoff: exponentialBackoff({ floorMs: 1_000, capMs: 300_000, random: () => 0.5 }),
  });
  r.link.start();
  await settle();
  // The registrar accepts every connection and drops it after 5 s without answering a request.
  for (let i = 0; i < 12; i++) {
    await r.run(5_000, 500);
    r.current()?.drop();
    await r.run(200, 100);
    while (r.link.stats().state !== 'up') await r.run(1_000, 500);
  }
  const gaps = r.attempts.slice(1).map((t, i) => t - (r.attempts[i] ?? 0) - 5_000);
  assert.ok((gaps[gaps.length - 1] ?? 0) > 60_000, `delays kept growing: ${gaps.join(', ')}`);
  // Answered, then dropped at once: one floor-sized pause before the next attempt, not zero.
  r.link.touch();
  r.current()?.drop();
  const droppedAt = r.clock.monotonicMs();
  await r.run(3_000, 100);
  const next = r.attempts[r.attempts.length - 1] ?? 0;
  assert.ok(next - droppedAt >= 1_000 && next - droppedAt <= 2_100, `waited ${next - droppedAt} ms`);
  await r.link.stop();
});

test('the session may be given to start instead (the link is built before the part that runs sessions)', async () => {
  const r = rig('2026-01-01T00:00:30Z', { session: undefined });
  assert.throws(() => {
    r.link.start();
  }, /no session/);
  const seen: unknown[] = [];
  r.link.start((conn, signal) => {
    seen.push(conn);
    return new Promise<void>((resolve) => {
      signal.addEventListener('abort', () => {
        resolve();
      });
    });
  });
  await r.run(100);
  assert.equal(seen.length, 1);
  assert.equal(seen[0], r.current());
  await r.link.stop();
});
