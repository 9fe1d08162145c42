/**
 * The ASN role end to end over real loopback sockets, per subprotocol: the agent registers its
 * own CSE as a `<remoteCSE>` on the development registrar; an independent client (plain `ws`)
 * registered there as an AE retrieves the latest reading of a pull-only device through the
 * registrar (routed over the agent's link), switches the actuator by a routed CREATE, and an
 * untrusted AE is refused; pushed readings land under the `<remoteCSE>` as in the ADN role.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor } from '../helpers/agent-harness.js';
import { PlainClient } from '../helpers/plain-client.js';
import { AE, asnConfig, CSE_ID, NAME, pack, req, userClient } from './asn-support.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest, type RequestPrimitive } from '../../src/protocol/primitive.js';
import type { PrimitiveEvent } from '../../src/cse/registrar-events.js';

for (const serialization of ['cbor', 'json', 'xml'] as const) {
  test(`ASN registers, serves routed retrieval and commands, refuses the untrusted (${serialization})`, async () => {
    const wire: PrimitiveEvent[] = [];
    const h = await startHarness({
      config: (registrar) => {
        registrar.on('primitive', (e) => wire.push(e));
        return asnConfig(serialization);
      },
    });
    const clients: PlainClient[] = [];
    try {
      // Registration: a <remoteCSE> named after our CSEBase, and the registrar recorded locally.
      await waitFor(
        () => h.instances.some((e) => e.path.startsWith(`cse-in/${NAME}/counter/`)),
        'a pushed reading',
      );
      const csr = h.registrar.cse.resource(`cse-in/${NAME}`);
      assert.equal(csr?.ty, ResourceType.RemoteCSE);
      assert.equal(csr.csi, CSE_ID);
      assert.equal(csr.cst, 3);
      assert.equal(csr.cb, `${CSE_ID}/${NAME}`);
      assert.deepEqual(csr.srv, ['3']);
      const create = wire.find((e) => isRequest(e.primitive) && e.primitive.ty === ResourceType.RemoteCSE);
      assert.equal(create?.primitive.fr, CSE_ID);
      assert.equal(create.subprotocol, `oneM2M.${serialization}`);
      const local = h.agent.asn?.local;
      assert.ok(local);
      assert.equal(local.resource(`${NAME}/id-in`)?.csi, '/id-in');
      assert.deepEqual(local.resource(`${NAME}/id-in`)?.poa, [h.registrar.url.replace(/\/$/, '')]);
      // Push and pull: the pull-only device has no container on the registrar.
      assert.equal(h.registrar.cse.resource(`cse-in/${NAME}/pulled`), undefined);
      assert.ok(!h.instances.some((e) => e.path.includes('/pulled/')));

      // An independent client retrieves the latest pulled reading through the registrar.
      const user = await userClient(h, serialization, 'Cuser');
      clients.push(user);
      await waitFor(() => local.resource(`${NAME}/${NAME}/pulled/la`) !== undefined, 'a stored reading');
      const la = req(Operation.Retrieve, `${AE}/pulled/la`, 'Cuser');
      const rsp = await user.request(la);
      assert.equal(rsp.rsc, 2000, JSON.stringify(rsp));
      assert.equal(rsp.rqi, la.rqi);
      assert.equal(rsp.rvi, '3');
      assert.equal(pack(rsp)[0]?.bn, 'pulled:value');
      const routed = wire.find(
        (e) => e.direction === 'out' && isRequest(e.primitive) && e.primitive.to === `${AE}/pulled/la`,
      );
      assert.ok(routed, 'the registrar routed the RETRIEVE over the agent link');
      assert.equal(routed.primitive.fr, '/id-in/Cuser', 'with the AE-ID SP-relative');
      assert.equal(routed.connectionId, create.connectionId, 'the connection the ASN registered on');

      // Filter criteria through the registrar: references to the first two instances (ty, lim).
      await waitFor(
        () => Number(local.resource(`${NAME}/${NAME}/pulled`)?.cni) >= 3,
        'three stored readings',
      );
      const fc = await user.request(
        req(Operation.Retrieve, `${AE}/pulled`, 'Cuser', { rcn: 6, fc: { ty: [4], lim: 2 } }),
      );
      assert.equal(fc.rsc, 2000, JSON.stringify(fc));
      assert.equal((fc.pc?.['m2m:rrl'] as { rrf: unknown[] }).rrf.length, 2);

      // A routed CREATE in the command container switches the actuator; its state is stored.
      const states = (): number[] =>
        h.agent.snapshot().devices.switch?.lastReading?.values.state === undefined
          ? []
          : [Number(h.agent.snapshot().devices.switch?.lastReading?.values.state)];
      await waitFor(() => states().length === 1, 'the initial switch state');
      assert.deepEqual(states(), [0]);
      const on = await user.request(
        req(Operation.Create, `${AE}/switch/command`, 'Cuser', { ty: 4, pc: { 'm2m:cin': { con: 'on' } } }),
      );
      assert.equal(on.rsc, 2001, JSON.stringify(on));
      assert.deepEqual(states(), [1], 'switched before the CREATE was answered');
      await waitFor(() => {
        const latest = local.resource(`${NAME}/${NAME}/switch/la`);
        return latest !== undefined && String(latest.con).includes('"v":1');
      }, 'the new state stored locally');
      const garbage = await user.request(
        req(Operation.Create, `${AE}/switch/command`, 'Cuser', {
          ty: 4,
          pc: { 'm2m:cin': { con: 'maybe' } },
        }),
      );
      assert.equal(garbage.rsc, 4102);

      // An untrusted AE is refused (4103), reading and commanding alike; the switch stays on.
      const stranger = await userClient(h, serialization, 'Cstranger');
      clients.push(stranger);
      const denied = req(Operation.Retrieve, `${AE}/pulled/la`, 'Cstranger');
      const no = await stranger.request(denied);
      assert.equal(no.rsc, 4103);
      assert.equal(no.rqi, denied.rqi);
      const off = await stranger.request(
        req(Operation.Create, `${AE}/switch/command`, 'Cstranger', {
          ty: 4,
          pc: { 'm2m:cin': { con: 'off' } },
        }),
      );
      assert.equal(off.rsc, 4103);
      assert.deepEqual(states(), [1]);
    } finally {
      for (const c of clients) await c.close();
      await h.close();
    }
  });
}

test('ASN: unsupported requests are 5001, the agent-owned structure cannot be deleted, instances can', async () => {
  const h = await startHarness({ config: asnConfig('json') });
  const clients: PlainClient[] = [];
  try {
    const local = h.agent.asn?.local;
    assert.ok(local);
    await waitFor(() => local.resource(`${NAME}/${NAME}/pulled/la`) !== undefined, 'a stored reading');
    await waitFor(
      () => h.registrar.connections().some((c) => c.originators.includes(CSE_ID)),
      'the ASN bound',
    );
    const user = await userClient(h, 'json', 'Cuser');
    clients.push(user);
    const ask = async (r: RequestPrimitive): Promise<number> => {
      const rsp = await user.request(r);
      assert.equal(rsp.rqi, r.rqi);
      return rsp.rsc;
    };
    assert.equal(
      await ask(req(Operation.Notify, `${CSE_ID}/${NAME}`, 'Cuser', { pc: { 'm2m:sgn': {} } })),
      5001,
    );
    assert.equal(
      await ask(req(Operation.Create, AE, 'Cuser', { ty: 3, pc: { 'm2m:cnt': { rn: 'extra' } } })),
      5001,
    );
    assert.equal(
      await ask(req(Operation.Create, `${AE}/pulled`, 'Cuser', { ty: 4, pc: { 'm2m:cin': { con: '1' } } })),
      4103,
    );
    assert.equal(await ask(req(Operation.Delete, `${AE}/pulled`, 'Cuser')), 4103);
    assert.equal(await ask(req(Operation.Delete, AE, 'Cuser')), 4103);
    assert.equal(await ask(req(Operation.Retrieve, `${CSE_ID}/${NAME}/nothing`, 'Cuser')), 4004);
    const base = await user.request(req(Operation.Retrieve, CSE_ID, 'Cuser'));
    assert.equal(base.rsc, 2000);
    assert.equal((base.pc?.['m2m:cb'] as { cst?: number }).cst, 3);
    assert.equal(
      await ask(req(Operation.Update, `${AE}/pulled`, 'Cuser', { pc: { 'm2m:cnt': { mni: 5 } } })),
      2004,
    );
    assert.equal(local.resource(`${NAME}/${NAME}/pulled`)?.mni, 5);
    const oldest = local.resource(`${NAME}/${NAME}/pulled/ol`);
    assert.equal(await ask(req(Operation.Delete, `${AE}/pulled/ol`, 'Cuser')), 2002);
    assert.notEqual(local.resource(`${NAME}/${NAME}/pulled/ol`)?.ri, oldest?.ri);
  } finally {
    for (const c of clients) await c.close();
    await h.close();
  }
});
