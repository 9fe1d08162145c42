/**
 * Trust by the whole identity, end to end over the agent's link: requests the registrar relays
 * with a forged absolute originator (`//evil.example/id-in`, a foreign SP-ID in front of the
 * registrar's own CSE-ID) are refused with 4103 and change nothing, as a NOTIFY (ADN) and as a
 * routed request (ASN), while the registrar in every form naming our SP is obeyed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor, type Harness } from '../helpers/agent-harness.js';
import { AE, asnConfig, NAME } from './asn-support.js';
import { Operation } from '../../src/protocol/codes.js';
import { isRequest, type RequestPrimitive, type ResponsePrimitive } from '../../src/protocol/primitive.js';
import type { PrimitiveEvent } from '../../src/cse/registrar-events.js';

let seq = 0;
function send(h: Harness, r: Omit<RequestPrimitive, 'rqi' | 'rvi'>): Promise<ResponsePrimitive> {
  return h.registrar.cse.handle({ ...r, rqi: `forms-${++seq}`, rvi: '3' });
}

/** True when the registrar sent this request over the agent's link with `fr` kept (not refused before). */
function relayed(wire: readonly PrimitiveEvent[], fr: string): boolean {
  return wire.some((e) => e.direction === 'out' && isRequest(e.primitive) && e.primitive.fr === fr);
}

test('ADN: a NOTIFY from a foreign SP-ID posing as the registrar gets 4103; our SP in every form is obeyed', async () => {
  const wire: PrimitiveEvent[] = [];
  const h = await startHarness({
    config: (registrar) => {
      registrar.on('primitive', (e) => wire.push(e));
      return {
        registrar: { url: registrar.url, cseId: '/id-in', cseName: 'cse-in', spId: 'sp.example' },
        serializations: ['json'],
        trustedOriginators: ['Cadmin'],
      };
    },
  });
  try {
    const applied = (): number => h.agent.snapshot().devices.switch?.readings ?? NaN;
    // The initial state landing on the registrar means the <AE>, its command container and the
    // subscription exist (the agent's own count moves before registration ends).
    await waitFor(
      () => applied() >= 1 && h.instances.some((e) => /^cse-in\/e2e-gw\/switch\/[^/]+$/.test(e.path)),
      'the initial switch state at the registrar',
    );
    const notify = (fr: string, con: string): Promise<ResponsePrimitive> =>
      send(h, {
        op: Operation.Notify,
        to: 'cse-in/e2e-gw',
        fr,
        pc: {
          'm2m:sgn': {
            sur: '/id-in/cse-in/e2e-gw/switch/command/m2m-agent-sub',
            nev: { net: 3, rep: { 'm2m:cin': { con } } },
          },
        },
      });
    const before = applied();
    for (const fr of ['//evil.example/id-in', '//evil.example/id-in/Cadmin', '//sp.example', 'Cadmin ']) {
      const rsp = await notify(fr, 'on');
      assert.equal(rsp.rsc, 4103, `${fr}: ${JSON.stringify(rsp.pc)}`);
      assert.ok(relayed(wire, fr), `${fr} reached the agent, which refused it`);
    }
    assert.equal(applied(), before, 'the switch was not actuated');
    let expected = before;
    for (const fr of ['/id-in', 'id-in', '//sp.example/id-in', '//SP.example/id-in/Cadmin', 'Cadmin']) {
      const rsp = await notify(fr, expected % 2 === 0 ? 'on' : 'off');
      assert.equal(rsp.rsc, 2000, `${fr}: ${JSON.stringify(rsp.pc)}`);
      assert.equal(applied(), ++expected, `${fr} actuated the switch`);
    }
  } finally {
    await h.close();
  }
});

test('ASN: a routed request from a foreign SP-ID is refused (4103); the registrar and Cuser in our SP are served', async () => {
  const wire: PrimitiveEvent[] = [];
  const h = await startHarness({
    config: (registrar) => {
      registrar.on('primitive', (e) => wire.push(e));
      return asnConfig('json', {
        registrar: { url: registrar.url, cseId: '/id-in', cseName: 'cse-in', spId: 'sp.example' },
      });
    },
  });
  try {
    const local = h.agent.asn?.local;
    assert.ok(local);
    await waitFor(() => local.resource(`${NAME}/${NAME}/pulled/la`) !== undefined, 'a stored reading');
    const retrieve = (fr: string): Promise<ResponsePrimitive> =>
      send(h, { op: Operation.Retrieve, to: `${AE}/pulled/la`, fr });
    const command = (fr: string): Promise<ResponsePrimitive> =>
      send(h, {
        op: Operation.Create,
        to: `${AE}/switch/command`,
        fr,
        ty: 4,
        pc: { 'm2m:cin': { con: 'on' } },
      });
    for (const fr of ['//evil.example/id-in', '//evil.example/id-in/Cuser', '/id-other/Cuser']) {
      const r = await retrieve(fr);
      assert.equal(r.rsc, 4103, `RETRIEVE from ${fr}: ${JSON.stringify(r.pc)}`);
      assert.ok(relayed(wire, fr), `${fr} reached the agent, which refused it`);
      assert.equal((await command(fr)).rsc, 4103, `command from ${fr}`);
    }
    assert.notEqual(h.agent.snapshot().devices.switch?.lastReading?.values.state, 1, 'not switched');
    for (const fr of ['/id-in', '//sp.example/id-in', 'Cuser', '/id-in/Cuser', '//sp.example/id-in/Cuser'])
      assert.equal((await retrieve(fr)).rsc, 2000, `RETRIEVE from ${fr}`);
    assert.equal((await command('//sp.example/id-in')).rsc, 2001);
    assert.equal(
      h.agent.snapshot().devices.switch?.lastReading?.values.state,
      1,
      'switched by the registrar',
    );
  } finally {
    await h.close();
  }
});
