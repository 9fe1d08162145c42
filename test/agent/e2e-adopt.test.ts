/**
 * A lost identity file (a state directory restored from an old backup, a re-flashed board) while
 * the `<AE>` still exists: the agent adopts its `<AE>`, containers and subscription instead of
 * failing, and commands still reach it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, waitFor, type Harness } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest, type RequestPrimitive } from '../../src/protocol/primitive.js';

function switchStates(h: Harness): number[] {
  return h.instances
    .filter((e) => /^cse-in\/e2e-gw\/switch\/[^/]+$/.test(e.path))
    .map((e) => (JSON.parse(String(e.resource.con)) as { v: number }[])[0]?.v ?? NaN);
}

test('without its identity file the agent adopts its existing <AE> and resources; commands still work', async () => {
  const reqs: RequestPrimitive[] = [];
  const h = await startHarness({
    config: (registrar) => {
      registrar.on('primitive', (e) => {
        if (e.direction === 'in' && isRequest(e.primitive)) reqs.push(e.primitive);
      });
      return { serializations: ['json'] };
    },
  });
  try {
    await waitFor(() => switchStates(h).length >= 1, 'the initial switch state');
    const subRi = h.registrar.cse.resource('cse-in/e2e-gw/switch/command/m2m-agent-sub')?.ri;
    await h.agent.stop();
    rmSync(join(h.stateDir, 'identity.json'));
    reqs.length = 0;
    await h.restart();
    await waitFor(
      () => h.agent.registration.current()?.resources['switch/command/m2m-agent-sub'] !== undefined,
      'the subscription adopted',
    );
    const aeCreates = reqs.filter((r) => r.op === Operation.Create && r.ty === ResourceType.AE);
    assert.equal(aeCreates.length, 1, 'one CREATE, answered "already registered"');
    assert.equal(h.agent.registration.aeId, 'Ce2e-gw');
    assert.equal(
      h.agent.registration.current()?.resources['switch/command/m2m-agent-sub'],
      subRi,
      'the real resource id',
    );
    assert.equal(
      h.registrar.cse.resource('cse-in/e2e-gw/switch/command/m2m-agent-sub')?.ri,
      subRi,
      'the same subscription',
    );

    const n = switchStates(h).length;
    const rsp = await h.registrar.cse.handle({
      op: Operation.Create,
      to: 'cse-in/e2e-gw/switch/command',
      fr: 'Cuser',
      rqi: 'cmd-adopt',
      rvi: '3',
      ty: ResourceType.ContentInstance,
      pc: { 'm2m:cin': { con: 'on' } },
    });
    assert.equal(rsp.rsc, 2001);
    // The restart's own initial state (0) may still be on its way: wait for the commanded one.
    await waitFor(() => switchStates(h).slice(n).includes(1), 'the state after the command');
    assert.equal(switchStates(h).at(-1), 1);
  } finally {
    await h.close();
  }
});
