/**
 * FrameSpacing (compat.minFrameGapMs): ACME loses a frame that follows another too closely, so a
 * request of ours waits for a routed request being answered and for the gap after our response,
 * and a response waits for the gap after our request. Time is a manual clock.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameSpacing } from '../../src/agent/frame-spacing.js';
import type { Connection } from '../../src/binding/ws/types.js';
import { codecFor } from '../../src/codec/index.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/protocol/primitive.js';
import { ManualClock } from '../../src/util/clock.js';

function fakeConn(clock: ManualClock, sent: string[]): Connection {
  return {
    subprotocol: 'oneM2M.json',
    codec: codecFor('json'),
    serialization: 'json',
    inFlight: 0,
    isOpen: true,
    request: (req) => {
      sent.push(`request ${req.rqi} at ${clock.monotonicMs()}`);
      return Promise.resolve({ rsc: 2001, rqi: req.rqi });
    },
    close: () => Promise.resolve({ code: 1000, reason: '', local: true }),
    closed: new Promise(() => undefined),
  };
}

const req = (rqi: string): RequestPrimitive => ({ op: 1, to: 'cse-in/x', fr: 'Cx', rqi, rvi: '3', ty: 4 });
/** Lets pending promise callbacks run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

test('a request waits for the routed request being answered, then for the gap after the response', async () => {
  const clock = new ManualClock();
  const sent: string[] = [];
  const spacing = new FrameSpacing(100, clock);
  const conn = spacing.wrapConnection(fakeConn(clock, sent));
  let finish!: (rsp: ResponsePrimitive) => void;
  const handler = spacing.wrapHandler(() => new Promise<ResponsePrimitive>((r) => (finish = r)));
  const answered = Promise.resolve(handler(req('routed')));
  const ours = conn.request(req('reading'));
  await settle();
  assert.deepEqual(sent, [], 'held while the routed request is answered');
  clock.advance(50);
  finish({ rsc: 2001, rqi: 'routed' });
  await answered;
  await settle();
  assert.deepEqual(sent, [], 'held for the gap after our response');
  clock.advance(99);
  await settle();
  assert.deepEqual(sent, []);
  clock.advance(1);
  await ours;
  assert.deepEqual(sent, ['request reading at 150']);
});

test('a response waits for the gap after our request; requests after requests are not held', async () => {
  const clock = new ManualClock();
  const sent: string[] = [];
  const spacing = new FrameSpacing(100, clock);
  const conn = spacing.wrapConnection(fakeConn(clock, sent));
  await conn.request(req('a'));
  await conn.request(req('b'));
  assert.deepEqual(sent, ['request a at 0', 'request b at 0']);
  let done = false;
  const answered = Promise.resolve(spacing.wrapHandler(() => ({ rsc: 2000, rqi: 'r' }))(req('r'))).then(
    () => {
      done = true;
    },
  );
  clock.advance(60);
  await settle();
  assert.equal(done, false);
  clock.advance(40);
  await answered;
  assert.equal(done, true);
});

test('gap 0 changes nothing', () => {
  const clock = new ManualClock();
  const spacing = new FrameSpacing(0, clock);
  const conn = fakeConn(clock, []);
  const h = (): ResponsePrimitive => ({ rsc: 2000, rqi: 'x' });
  assert.equal(spacing.wrapConnection(conn), conn);
  assert.equal(spacing.wrapHandler(h), h);
});

test('the spaced connection reports what the link agreed on (compression, subprotocol)', () => {
  const clock = new ManualClock();
  const conn = new FrameSpacing(100, clock).wrapConnection({
    ...fakeConn(clock, []),
    compression: 'permessage-deflate',
  });
  assert.equal(conn.compression, 'permessage-deflate');
  assert.equal(conn.subprotocol, 'oneM2M.json');
});
