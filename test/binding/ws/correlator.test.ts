import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Correlator } from '../../../src/binding/ws/correlator.js';
import { WsError } from '../../../src/binding/ws/errors.js';
import { ManualClock } from '../../../src/util/clock.js';
import { memoryLogger } from '../../../src/util/log.js';

function setup(): { c: Correlator; clock: ManualClock; log: ReturnType<typeof memoryLogger> } {
  const clock = new ManualClock();
  const log = memoryLogger();
  return { c: new Correlator({ clock, logger: log }), clock, log };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return err instanceof WsError ? err.code : 'not a WsError';
  }
  return 'resolved';
}

test('a response settles the request with the same rqi and removes the entry', async () => {
  const { c, clock } = setup();
  const a = c.wait('a', { timeoutMs: 1000 });
  const b = c.wait('b', { timeoutMs: 1000 });
  assert.equal(c.size, 2);
  assert.equal(c.resolve({ rsc: 4004, rqi: 'b' }), true);
  assert.equal(c.resolve({ rsc: 2001, rqi: 'a' }), true);
  assert.deepEqual(await a, { rsc: 2001, rqi: 'a' });
  assert.deepEqual(await b, { rsc: 4004, rqi: 'b' });
  assert.equal(c.size, 0);
  assert.equal(clock.pendingTimers(), 0);
});

test('an unknown rqi is logged and dropped', () => {
  const { c, log } = setup();
  assert.equal(c.resolve({ rsc: 2000, rqi: 'nobody' }), false);
  assert.equal(log.lines[0]?.fields.code, 'WS_UNKNOWN_RQI');
  assert.equal(log.lines[0]?.fields.rqi, 'nobody');
});

test('timeout rejects with WS_REQUEST_TIMEOUT and removes the entry', async () => {
  const { c, clock } = setup();
  const p = c.wait('t', { timeoutMs: 500 });
  clock.advance(499);
  assert.equal(c.size, 1);
  clock.advance(1);
  assert.equal(await codeOf(p), 'WS_REQUEST_TIMEOUT');
  assert.equal(c.size, 0);
  // A late response is then unknown.
  assert.equal(c.resolve({ rsc: 2000, rqi: 't' }), false);
});

test('abort rejects with WS_REQUEST_ABORTED, clears the timer, and an aborted signal never registers', async () => {
  const { c, clock } = setup();
  const ac = new AbortController();
  const p = c.wait('x', { timeoutMs: 500, signal: ac.signal });
  ac.abort();
  assert.equal(await codeOf(p), 'WS_REQUEST_ABORTED');
  assert.equal(c.size, 0);
  assert.equal(clock.pendingTimers(), 0);
  assert.equal(await codeOf(c.wait('y', { timeoutMs: 500, signal: ac.signal })), 'WS_REQUEST_ABORTED');
  assert.equal(c.size, 0);
});

test('a duplicate rqi is refused without disturbing the first', async () => {
  const { c } = setup();
  const first = c.wait('d', { timeoutMs: 0 });
  assert.equal(await codeOf(c.wait('d', { timeoutMs: 0 })), 'WS_DUPLICATE_RQI');
  assert.equal(c.size, 1);
  c.resolve({ rsc: 2000, rqi: 'd' });
  assert.equal((await first).rsc, 2000);
});

test('rejectAll settles everything, and idle() resolves when the map empties', async () => {
  const { c, clock } = setup();
  const ps = ['1', '2', '3'].map((r) => c.wait(r, { timeoutMs: 100 }));
  let idle = false;
  const idleP = c.idle().then(() => (idle = true));
  await Promise.resolve();
  assert.equal(idle, false);
  const err = new WsError('WS_LINK_CLOSED', 'gone', { retryable: true });
  c.rejectAll(err);
  for (const p of ps) assert.equal(await codeOf(p), 'WS_LINK_CLOSED');
  await idleP;
  assert.equal(idle, true);
  assert.equal(c.size, 0);
  assert.equal(clock.pendingTimers(), 0);
  assert.equal(c.reject('1', err), false);
});
