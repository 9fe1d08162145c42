/**
 * The ASN role's registration over real sockets: a restart does not register again (the routed
 * path works again after it), a `<remoteCSE>` the registrar lost is re-created (found by the
 * uplink, or by the periodic check when nothing is pushed), and "already registered" (4117, or
 * 4105 imitating ACME, which also identifies the link by `X-M2M-Origin: <CSE-ID>`) is adopted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, waitFor, type Harness } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest, isResponse } from '../../src/protocol/primitive.js';
import type { PrimitiveEvent } from '../../src/cse/registrar-events.js';
import { AE, asnConfig, CSE_ID, NAME, pack, req, userClient } from './asn-support.js';

/** `<remoteCSE>` CREATEs the registrar received, and the status codes it answered them with. */
function registrations(wire: readonly PrimitiveEvent[]): number[] {
  const creates = wire.filter(
    (e) => e.direction === 'in' && isRequest(e.primitive) && e.primitive.ty === ResourceType.RemoteCSE,
  );
  return creates.map((c) => {
    const answer = wire.find(
      (e) => e.direction === 'out' && isResponse(e.primitive) && e.primitive.rqi === c.primitive.rqi,
    );
    return answer && isResponse(answer.primitive) ? answer.primitive.rsc : 0;
  });
}

function bound(h: Harness): boolean {
  return h.registrar.connections().some((c) => c.originators.includes(CSE_ID));
}

/** The registrar loses our `<remoteCSE>` (an operator deletes it). */
async function loseRegistration(h: Harness): Promise<void> {
  const rsp = await h.registrar.cse.handle({
    op: Operation.Delete,
    to: `cse-in/${NAME}`,
    fr: '/id-in',
    rqi: 'admin-delete',
    rvi: '3',
  });
  assert.equal(rsp.rsc, 2002);
  assert.equal(h.registrar.cse.resource(`cse-in/${NAME}`), undefined);
}

for (const serialization of ['cbor', 'json', 'xml'] as const) {
  test(`ASN: a restart does not register again; a lost <remoteCSE> is re-created (${serialization})`, async () => {
    const wire: PrimitiveEvent[] = [];
    const h = await startHarness({
      config: (registrar) => {
        registrar.on('primitive', (e) => wire.push(e));
        return asnConfig(serialization);
      },
    });
    try {
      await waitFor(
        () => h.instances.some((e) => e.path.startsWith(`cse-in/${NAME}/counter/`)),
        'a pushed reading',
      );
      assert.deepEqual(registrations(wire), [2001]);

      await h.restart();
      await waitFor(() => bound(h), 'the restarted ASN bound to its new connection');
      assert.deepEqual(registrations(wire), [2001], 'no second registration');
      const user = await userClient(h, serialization, 'Cuser');
      try {
        await waitFor(
          () => h.agent.asn?.local.resource(`${NAME}/${NAME}/pulled/la`) !== undefined,
          'a reading',
        );
        const rsp = await user.request(req(Operation.Retrieve, `${AE}/pulled/la`, 'Cuser'));
        assert.equal(rsp.rsc, 2000, JSON.stringify(rsp));
        assert.equal(pack(rsp)[0]?.bn, 'pulled:value');

        await loseRegistration(h);
        const before = h.instances.length;
        await waitFor(
          () => h.registrar.cse.resource(`cse-in/${NAME}`) !== undefined,
          'the <remoteCSE> again',
        );
        assert.deepEqual(registrations(wire), [2001, 2001]);
        await waitFor(
          () => h.instances.slice(before).some((e) => e.path.startsWith(`cse-in/${NAME}/counter/`)),
          'pushed readings in the recreated container',
        );
        const again = await user.request(req(Operation.Retrieve, `${AE}/pulled/la`, 'Cuser'));
        assert.equal(again.rsc, 2000, 'routed again after re-registration');
      } finally {
        await user.close();
      }
    } finally {
      await h.close();
    }
  });
}

test('ASN, pull only: the periodic check re-creates a lost <remoteCSE>', async () => {
  const wire: PrimitiveEvent[] = [];
  const h = await startHarness({
    config: (registrar) => {
      registrar.on('primitive', (e) => wire.push(e));
      return asnConfig('json', {
        node: { role: 'asn', name: NAME, cseId: CSE_ID, registrationCheckSeconds: 0.2 },
        devices: [{ name: 'pulled', model: 'sim', params: { waveform: 'counter' }, push: false }],
      });
    },
  });
  try {
    await waitFor(() => bound(h), 'registered');
    assert.equal(h.registrar.cse.resource(`cse-in/${NAME}/pulled`), undefined, 'nothing pushed');
    await loseRegistration(h);
    await waitFor(() => h.registrar.cse.resource(`cse-in/${NAME}`) !== undefined, 'the <remoteCSE> again');
    assert.deepEqual(registrations(wire), [2001, 2001]);
    await waitFor(() => bound(h), 'bound again');
  } finally {
    await h.close();
  }
});

for (const imitate of [undefined, 'acme'] as const) {
  test(`ASN: "already registered" (${imitate ? 'ACME 4105' : '4117'}) after a lost state directory is adopted`, async () => {
    const wire: PrimitiveEvent[] = [];
    // ACME: our CSE-ID on its allow-list; it names the <remoteCSE> after the CSE-ID.
    const at = `cse-in/${imitate ? CSE_ID.slice(1) : NAME}`;
    const h = await startHarness({
      ...(imitate ? { registrar: { imitate, quirks: { allowedCsrOriginators: [CSE_ID] } } } : {}),
      config: (registrar) => {
        registrar.on('primitive', (e) => wire.push(e));
        return asnConfig('cbor', {
          registrar: {
            url: registrar.url,
            cseId: registrar.cse.cseId,
            cseName: registrar.cse.cseName,
            ...(imitate ? { compat: imitate } : {}),
          },
        });
      },
    });
    try {
      await waitFor(() => h.instances.some((e) => e.path.startsWith(`${at}/counter/`)), 'a pushed reading');
      if (imitate) {
        const c = h.registrar.connections()[0];
        assert.equal(c?.identifiedAs, CSE_ID, 'X-M2M-Origin carries the CSE-ID');
        assert.equal(c.subprotocol, 'oneM2M.cbor');
      }
      await h.agent.stop();
      rmSync(join(h.stateDir, 'identity.json'));
      const before = h.instances.length;
      await h.restart();
      await waitFor(
        () => h.instances.slice(before).some((e) => e.path.startsWith(`${at}/counter/`)),
        'pushed readings after adopting the registration',
      );
      assert.deepEqual(registrations(wire), [2001, imitate ? 4105 : 4117]);
      assert.equal(h.agent.registration.current()?.aeId, CSE_ID);
      const user = await userClient(h, 'cbor', 'Cuser', imitate ? { 'X-M2M-Origin': 'Cuser' } : undefined);
      try {
        await waitFor(
          () => h.agent.asn?.local.resource(`${NAME}/${NAME}/pulled/la`) !== undefined,
          'a reading',
        );
        const rsp = await user.request(req(Operation.Retrieve, `${AE}/pulled/la`, 'Cuser'));
        assert.equal(rsp.rsc, 2000, JSON.stringify(rsp));
      } finally {
        await user.close();
      }
    } finally {
      await h.close();
    }
  });
}
