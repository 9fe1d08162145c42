import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerRequest } from '../../../src/binding/ws/incoming.js';
import type { RequestHandler } from '../../../src/binding/ws/types.js';
import { responseTo, type RequestPrimitive } from '../../../src/protocol/primitive.js';
import { memoryLogger } from '../../../src/util/log.js';

const notify: RequestPrimitive = {
  op: 5,
  to: 'Cbarn',
  fr: '/id-in',
  rqi: 'n9',
  rvi: '2a',
  pc: { 'm2m:sgn': {} },
};

test("the handler's response is returned as is", async () => {
  const rsp = await answerRequest((r) => responseTo(r, 2000, { x: 1 }), notify, memoryLogger());
  assert.deepEqual(rsp, { rsc: 2000, rqi: 'n9', rvi: '2a', pc: { x: 1 } });
});

test('throw, rejection and a non-response all become 5000 with rqi/rvi and m2m:dbg, logged', async () => {
  const handlers: RequestHandler[] = [
    () => {
      throw new Error('sync boom');
    },
    () => Promise.reject(new Error('async boom')),
    () => undefined as never,
    () => ({ rqi: 'n9' }) as never,
  ];
  for (const h of handlers) {
    const log = memoryLogger();
    const rsp = await answerRequest(h, notify, log);
    assert.equal(rsp.rsc, 5000);
    assert.equal(rsp.rqi, 'n9');
    assert.equal(rsp.rvi, '2a');
    assert.equal(typeof rsp.pc?.['m2m:dbg'], 'string');
    assert.equal(log.lines[0]?.level, 'error');
  }
});

test('no handler: 5001', async () => {
  const rsp = await answerRequest(undefined, notify, memoryLogger());
  assert.equal(rsp.rsc, 5001);
  assert.equal(rsp.rqi, 'n9');
});
