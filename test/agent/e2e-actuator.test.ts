/**
 * Actuators by notification: a contentInstance written into `<AE>/switch/command` makes the
 * registrar NOTIFY the agent over its link; the agent answers 2000 with the same `rqi`, switches
 * the simulated output and reports the new state as a reading in `<AE>/switch`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor, type Harness } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest, isResponse, type ResponsePrimitive } from '../../src/protocol/primitive.js';
import type { PrimitiveEvent } from '../../src/cse/registrar-events.js';

/** The switch's reported states, in order (SenML `v` of each reading in `<AE>/switch`). */
function switchStates(h: Harness): number[] {
  return h.instances
    .filter((e) => /^cse-in\/e2e-gw\/switch\/[^/]+$/.test(e.path))
    .map((e) => (JSON.parse(String(e.resource.con)) as { v: number }[])[0]?.v ?? NaN);
}

let seq = 0;
async function command(h: Harness, con: unknown): Promise<void> {
  const rsp = await h.registrar.cse.handle({
    op: Operation.Create,
    to: 'cse-in/e2e-gw/switch/command',
    fr: 'Cuser',
    rqi: `cmd-${++seq}`,
    rvi: '3',
    ty: ResourceType.ContentInstance,
    pc: { 'm2m:cin': { con } },
  });
  assert.equal(rsp.rsc, 2001, `command ${JSON.stringify(con)} stored`);
}

for (const serialization of ['cbor', 'json', 'xml'] as const) {
  test(`a notification toggles the actuator and the new state arrives as a reading (${serialization})`, async () => {
    const wire: PrimitiveEvent[] = [];
    const h = await startHarness({
      config: (registrar) => {
        registrar.on('primitive', (e) => wire.push(e));
        return { serializations: [serialization] };
      },
    });
    try {
      await waitFor(
        () => h.registrar.cse.resource('cse-in/e2e-gw/switch/command/m2m-agent-sub') !== undefined,
        'the subscription',
      );
      // The switch reports its initial state (0) once it is open.
      await waitFor(() => switchStates(h).length >= 1, 'the initial switch state');
      assert.equal(switchStates(h)[0], 0);

      const steps: [unknown, number][] = [
        ['on', 1],
        ['off', 0],
        ['1', 1],
        [JSON.stringify([{ bn: 'switch:', n: 'state', v: 0 }]), 0],
        [JSON.stringify([{ n: 'state', vb: true }]), 1],
      ];
      for (const [con, expected] of steps) {
        const n = switchStates(h).length;
        await command(h, con);
        await waitFor(() => switchStates(h).length > n, `the state after ${JSON.stringify(con)}`);
        assert.equal(switchStates(h).at(-1), expected, `state after ${JSON.stringify(con)}`);
      }

      // The state readings carry the device's event category (sim-switch: immediate, ec 2).
      const stateCreates = wire.filter(
        (e) =>
          e.direction === 'in' &&
          isRequest(e.primitive) &&
          e.primitive.ty === ResourceType.ContentInstance &&
          e.primitive.to === 'cse-in/e2e-gw/switch',
      );
      assert.ok(stateCreates.length >= steps.length + 1);
      assert.ok(
        stateCreates.every((e) => isRequest(e.primitive) && e.primitive.ec === 2 && e.primitive.rvi === '3'),
      );

      // Every NOTIFY the registrar sent was answered 2000 with the same rqi, on the same link.
      const notifies = wire.filter(
        (e) => e.direction === 'out' && isRequest(e.primitive) && e.primitive.op === Operation.Notify,
      );
      assert.equal(notifies.length, steps.length);
      for (const n of notifies) {
        assert.equal(n.subprotocol, `oneM2M.${serialization}`);
        const answer = wire.find(
          (e) => e.direction === 'in' && isResponse(e.primitive) && e.primitive.rqi === n.primitive.rqi,
        );
        assert.ok(answer, `an answer to ${n.primitive.rqi}`);
        assert.equal((answer.primitive as ResponsePrimitive).rsc, 2000);
        assert.equal(answer.connectionId, n.connectionId);
      }
    } finally {
      await h.close();
    }
  });
}
