/**
 * The registrar deletes our command subscription (an administrator, an expiry): the `sud`
 * notification sent to its `su` makes the agent recreate it, and commands work again.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor, type Harness } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';

const SUB = 'cse-in/e2e-gw/switch/command/m2m-agent-sub';

function switchStates(h: Harness): number[] {
  return h.instances
    .filter((e) => /^cse-in\/e2e-gw\/switch\/[^/]+$/.test(e.path))
    .map((e) => (JSON.parse(String(e.resource.con)) as { v: number }[])[0]?.v ?? NaN);
}

test('a deleted command subscription is recreated and commands work again', async () => {
  const h = await startHarness();
  try {
    await waitFor(() => h.registrar.cse.resource(SUB) !== undefined, 'the subscription');
    const firstRi = h.registrar.cse.resource(SUB)?.ri;
    const del = await h.registrar.cse.handle({
      op: Operation.Delete,
      to: SUB,
      fr: '/id-in',
      rqi: 'del-sub',
      rvi: '3',
    });
    assert.equal(del.rsc, 2002);
    await waitFor(() => {
      const sub = h.registrar.cse.resource(SUB);
      return sub !== undefined && sub.ri !== firstRi;
    }, 'a new subscription');
    await waitFor(() => switchStates(h).length >= 1, 'the initial switch state');
    const before = switchStates(h).length;
    const rsp = await h.registrar.cse.handle({
      op: Operation.Create,
      to: 'cse-in/e2e-gw/switch/command',
      fr: 'Cuser',
      rqi: 'cmd-after',
      rvi: '3',
      ty: ResourceType.ContentInstance,
      pc: { 'm2m:cin': { con: 'on' } },
    });
    assert.equal(rsp.rsc, 2001);
    await waitFor(() => switchStates(h).length > before, 'the switch state after the command');
    assert.equal(switchStates(h).at(-1), 1);
  } finally {
    await h.close();
  }
});
