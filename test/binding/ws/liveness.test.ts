import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Liveness } from '../../../src/binding/ws/liveness.js';
import type { WsPongTimeoutError } from '../../../src/binding/ws/errors.js';
import { ManualClock } from '../../../src/util/clock.js';

function setup(pingIntervalMs: number, pongTimeoutMs: number) {
  const clock = new ManualClock();
  const pings: number[] = [];
  const dead: WsPongTimeoutError[] = [];
  const l = new Liveness({
    clock,
    pingIntervalMs,
    pongTimeoutMs,
    ping: () => pings.push(clock.monotonicMs()),
    onDead: (e) => dead.push(e),
  });
  return { clock, pings, dead, l };
}

test('pings every interval while pongs come back', () => {
  const { clock, pings, dead, l } = setup(1000, 300);
  l.start();
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    l.pong();
  }
  assert.deepEqual(pings, [1000, 2000, 3000, 4000, 5000]);
  assert.equal(dead.length, 0);
  l.stop();
  assert.equal(clock.pendingTimers(), 0);
});

test('no pong within the timeout: dead once, at interval + timeout, with WS_PONG_TIMEOUT', () => {
  const { clock, dead, l } = setup(1000, 300);
  l.start();
  clock.advance(1299);
  assert.equal(dead.length, 0);
  assert.equal(l.awaitingPong, true);
  clock.advance(1);
  assert.equal(dead.length, 1);
  assert.equal(dead[0]?.code, 'WS_PONG_TIMEOUT');
  assert.equal(dead[0]?.retryable, true);
  clock.advance(10_000);
  assert.equal(dead.length, 1);
  assert.equal(clock.pendingTimers(), 0);
});

test('a timeout longer than the interval keeps one ping outstanding', () => {
  const { clock, pings, dead, l } = setup(100, 250);
  l.start();
  clock.advance(349);
  assert.deepEqual(pings, [100]);
  assert.equal(dead.length, 0);
  clock.advance(1);
  assert.equal(dead.length, 1);
});

test('interval 0 disables pinging', () => {
  const { clock, pings, l } = setup(0, 100);
  l.start();
  clock.advance(100_000);
  assert.equal(pings.length, 0);
  assert.equal(clock.pendingTimers(), 0);
});
