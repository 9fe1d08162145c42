/**
 * Restart with the same state directory: the first start registers once and creates the
 * containers; a second start (same state dir) never CREATEs the `<AE>` again, and readings go on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest } from '../../src/protocol/primitive.js';
import { IdentityStore } from '../../src/agent/identity.js';

for (const serialization of ['cbor', 'json', 'xml'] as const) {
  test(`a restart with the same state directory does not register again (${serialization})`, async () => {
    const creates = { ae: 0, cnt: 0, sub: 0 };
    const h = await startHarness({
      // Called before the agent starts: count from the very first primitive.
      config: (registrar) => {
        registrar.on('primitive', (e) => {
          const p = e.primitive;
          if (e.direction !== 'in' || !isRequest(p) || p.op !== Operation.Create) return;
          if (p.ty === ResourceType.AE) creates.ae++;
          // Device management's resources (management.test.ts) are not counted here: the health container.
          const rn = (p.pc?.['m2m:cnt'] as { rn?: unknown } | undefined)?.rn;
          if (p.ty === ResourceType.Container && rn !== 'health') creates.cnt++;
          // The reboot object's subscription (device management) neither.
          const subRn = (p.pc?.['m2m:sub'] as { rn?: unknown } | undefined)?.rn;
          if (p.ty === ResourceType.Subscription && subRn !== 'm2m-agent-reboot') creates.sub++;
        });
        return { serializations: [serialization] };
      },
    });
    try {
      const counter = (): number =>
        h.instances.filter((e) => e.path.startsWith('cse-in/e2e-gw/counter/')).length;
      await waitFor(() => counter() >= 1, 'a first counter reading');
      assert.equal(creates.ae, 1, 'one <AE> CREATE on first start');
      // counter, switch, switch/command
      assert.equal(creates.cnt, 3);
      assert.equal(creates.sub, 1);
      assert.ok(h.registrar.cse.resource('cse-in/e2e-gw/switch/command/m2m-agent-sub'));
      assert.equal(h.registrar.connections()[0]?.subprotocol, `oneM2M.${serialization}`);

      const stored = await new IdentityStore(h.stateDir).load();
      assert.equal(stored?.aeId, 'Ce2e-gw');
      assert.ok(stored.resources.counter !== undefined, 'the container id is remembered');

      await h.restart();
      const before = counter();
      await waitFor(() => counter() >= before + 2, 'two more counter readings after the restart');
      assert.equal(creates.ae, 1, 'no second <AE> CREATE');
      assert.equal(creates.cnt, 3, 'containers are not created again');
      assert.equal(creates.sub, 1, 'the subscription is not created again');
      assert.equal(h.agent.registration.aeId, 'Ce2e-gw');
      const conns = h.registrar.connections();
      assert.equal(conns.length, 1);
      assert.deepEqual(conns[0]?.originators, ['Ce2e-gw'], 'the new connection speaks for the same AE');
      // Readings after the restart carry the stored AE-ID as originator.
      const last = h.instances.at(-1);
      assert.equal(last?.originator, 'Ce2e-gw');
    } finally {
      await h.close();
    }
  });
}
