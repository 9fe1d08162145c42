/**
 * Who may command the agent. The real threat is a request whose `fr` the agent does not trust
 * reaching it over its link: here another AE registered on the same registrar sends a NOTIFY to
 * our `<AE>`, which the registrar relays over our connection with the sender's `fr` kept. It must
 * be refused with 4103 and change nothing; a configured `trustedOriginators` entry is obeyed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor, type Harness } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest, type ResponsePrimitive } from '../../src/protocol/primitive.js';
import type { PrimitiveEvent } from '../../src/cse/registrar-events.js';

function switchStates(h: Harness): number[] {
  return h.instances
    .filter((e) => /^cse-in\/e2e-gw\/switch\/[^/]+$/.test(e.path))
    .map((e) => (JSON.parse(String(e.resource.con)) as { v: number }[])[0]?.v ?? NaN);
}

/** Another application registers on the registrar (in-process, as an admin tool would). */
async function registerOther(h: Harness, stem: string): Promise<void> {
  const rsp = await h.registrar.cse.handle({
    op: Operation.Create,
    to: 'cse-in',
    fr: stem,
    rqi: `reg-${stem}`,
    rvi: '3',
    ty: ResourceType.AE,
    pc: { 'm2m:ae': { rn: stem.toLowerCase(), api: 'Nother', rr: false, srv: ['3'] } },
  });
  assert.equal(rsp.rsc, 2001);
}

/** A NOTIFY from `fr` addressed to our `<AE>`, relayed by the registrar over the agent's link. */
function notifyAgent(h: Harness, fr: string, con: string): Promise<ResponsePrimitive> {
  return h.registrar.cse.handle({
    op: Operation.Notify,
    to: 'cse-in/e2e-gw',
    fr,
    rqi: `forged-${fr}-${con}`,
    rvi: '3',
    pc: {
      'm2m:sgn': {
        sur: '/id-in/cse-in/e2e-gw/switch/command/m2m-agent-sub',
        nev: { net: 3, rep: { 'm2m:cin': { con } } },
      },
    },
  });
}

for (const serialization of ['cbor', 'json', 'xml'] as const) {
  test(`a NOTIFY from an untrusted originator gets 4103 and changes nothing (${serialization})`, async () => {
    const wire: PrimitiveEvent[] = [];
    const h = await startHarness({
      config: (registrar) => {
        registrar.on('primitive', (e) => wire.push(e));
        return { serializations: [serialization], trustedOriginators: ['Cadmin'] };
      },
    });
    try {
      await waitFor(() => switchStates(h).length >= 1, 'the initial switch state');
      await registerOther(h, 'Cmallory');
      await registerOther(h, 'Cadmin');
      const readingsBefore = switchStates(h).length;
      const applied = (): number => h.agent.snapshot().devices.switch?.readings ?? NaN;
      const appliedBefore = applied();

      const refused = await notifyAgent(h, 'Cmallory', 'on');
      assert.equal(refused.rsc, 4103, 'the agent refused it');
      assert.match(String(refused.pc?.['m2m:dbg']), /Cmallory/);
      // It really went over the link, with the forged fr kept.
      const relayed = wire.find(
        (e) => e.direction === 'out' && isRequest(e.primitive) && e.primitive.op === Operation.Notify,
      );
      assert.equal(relayed?.primitive.fr, 'Cmallory');
      assert.equal(relayed.subprotocol, `oneM2M.${serialization}`);
      // The answer comes after the command would have been applied: nothing was.
      assert.equal(applied(), appliedBefore, 'the switch was not actuated');

      // A trusted originator's command goes through (proves the path works).
      const accepted = await notifyAgent(h, 'Cadmin', 'on');
      assert.equal(accepted.rsc, 2000);
      assert.equal(applied(), appliedBefore + 1);
      await waitFor(() => switchStates(h).length > readingsBefore, 'the state after the trusted command');
      assert.deepEqual(switchStates(h).slice(readingsBefore), [1]);
      assert.equal(h.agent.snapshot().devices.switch?.lastReading?.values.state, 1);

      // The registrar's own CSE-ID is trusted by default, in either form (`/id-in`, `id-in`).
      const own = await notifyAgent(h, 'id-in', 'off');
      assert.equal(own.rsc, 2000);
      await waitFor(() => switchStates(h).at(-1) === 0, 'the state after the CSE command');
    } finally {
      await h.close();
    }
  });
}
