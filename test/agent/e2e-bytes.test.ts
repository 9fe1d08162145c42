/**
 * No bytes the registrar does not need: readings are created with rcn 0, so the registrar's
 * answer carries no copy of the contentInstance.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor } from '../helpers/agent-harness.js';
import { ResourceType } from '../../src/protocol/codes.js';
import { isRequest, isResponse } from '../../src/protocol/primitive.js';
import type { PrimitiveEvent } from '../../src/cse/registrar-events.js';

test('contentInstances are created with rcn 0 and answered 2001 without content', async () => {
  const wire: PrimitiveEvent[] = [];
  const h = await startHarness({
    config: (r) => {
      r.on('primitive', (e) => wire.push(e));
      return { serializations: ['cbor'] };
    },
  });
  try {
    await waitFor(() => h.instances.length >= 2, 'two readings');
    const creates = wire.filter(
      (e) =>
        e.direction === 'in' && isRequest(e.primitive) && e.primitive.ty === ResourceType.ContentInstance,
    );
    assert.ok(creates.length >= 2);
    for (const c of creates) {
      assert.ok(isRequest(c.primitive));
      assert.equal(c.primitive.rcn, 0);
      const rsp = wire.find(
        (e) => e.direction === 'out' && isResponse(e.primitive) && e.primitive.rqi === c.primitive.rqi,
      );
      if (!rsp || !isResponse(rsp.primitive)) continue; // answered after we looked
      assert.equal(rsp.primitive.rsc, 2001);
      assert.equal(rsp.primitive.pc, undefined, 'no copy of the reading comes back');
      assert.ok(rsp.bytes < 60, `the answer is small (${rsp.bytes} bytes)`);
    }
  } finally {
    await h.close();
  }
});

test('a bestEffort reading carries no ec (the CSE default); the link is compressed and status says so', async () => {
  const wire: PrimitiveEvent[] = [];
  const h = await startHarness({
    config: (r) => {
      r.on('primitive', (e) => wire.push(e));
      return { serializations: ['cbor'] };
    },
  });
  try {
    await waitFor(() => h.instances.some((e) => e.path.includes('/counter/')), 'a counter reading');
    // The counter is bestEffort (the sim model's default); the switch is immediate (ec 2).
    const create = wire.find(
      (e) =>
        e.direction === 'in' &&
        isRequest(e.primitive) &&
        e.primitive.ty === ResourceType.ContentInstance &&
        e.primitive.to.endsWith('/counter'),
    );
    assert.ok(create && isRequest(create.primitive));
    assert.equal(create.primitive.ec, undefined);
    assert.equal(h.agent.snapshot().link.compression, 'permessage-deflate');
  } finally {
    await h.close();
  }
});

test('link.compression false: nothing is offered and status says off', async () => {
  const h = await startHarness({ config: { link: { compression: false } } });
  try {
    await waitFor(() => h.instances.length >= 1, 'a reading');
    assert.equal(h.agent.snapshot().link.compression, 'off');
  } finally {
    await h.close();
  }
});
