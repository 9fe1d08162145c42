/** The running registrar: events, connection info, forwarding to a remote CSE, the bounded queue. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startRegistrar, type PrimitiveEvent } from '../../src/cse/index.js';
import { PlainClient } from '../helpers/plain-client.js';
import { body, create, register, retrieve } from './support/flows.js';

describe('registrar', () => {
  test('primitive events and connection info', async () => {
    const reg = await startRegistrar();
    try {
      const seen: PrimitiveEvent[] = [];
      reg.on('primitive', (e) => seen.push(e));
      const c = await PlainClient.connect(reg.url, { protocols: 'oneM2M.json' });
      const aei = await register(c, 'info');
      assert.deepEqual(
        seen.map((e) => [e.direction, e.subprotocol, e.bytes > 0]),
        [
          ['in', 'oneM2M.json', true],
          ['out', 'oneM2M.json', true],
        ],
      );
      const [info] = reg.connections();
      assert.deepEqual(
        [info?.subprotocol, info?.originators, info?.received, info?.sent],
        ['oneM2M.json', [aei], 1, 1],
      );
      await c.close();
    } finally {
      await reg.close();
    }
  });

  test('a registered remote CSE: requests for it go over its connection, answered in its place', async () => {
    const reg = await startRegistrar();
    try {
      const asn = await PlainClient.connect(reg.url, {
        protocols: 'oneM2M.cbor',
        onRequest: (req) => ({
          rsc: 2000,
          rqi: req.rqi,
          rvi: '3',
          pc: { 'm2m:cin': { con: `asn saw ${req.to}` } },
        }),
      });
      const csr = create('cse-in', '/id-asn', 16, 'csr', {
        rn: 'asn',
        cb: '/id-asn/cse-asn',
        cst: 3,
        rr: true,
        srv: ['3'],
      });
      assert.equal((await asn.request(csr)).rsc, 2001);
      const ae = await PlainClient.connect(reg.url, { protocols: 'oneM2M.json' });
      const aei = await register(ae, 'reader');
      const rsp = await ae.request(retrieve('/id-asn/cse-asn/temp/la', aei));
      assert.equal(rsp.rsc, 2000);
      assert.equal(body(rsp, 'cin').con, 'asn saw /id-asn/cse-asn/temp/la');
      await asn.close();
      assert.equal((await ae.request(retrieve('/id-asn/cse-asn/temp/la', aei))).rsc, 5103);
      await ae.close();
    } finally {
      await reg.close();
    }
  });

  test('notifications kept for an absent AE are bounded, oldest dropped', async () => {
    const reg = await startRegistrar({ maxPendingNotifications: 2 });
    try {
      const ae = await PlainClient.connect(reg.url, { protocols: 'oneM2M.json' });
      const aei = await register(ae, 'away');
      await ae.request(create('cse-in/away', aei, 3, 'cnt', { rn: 'cmd' }));
      await ae.request(create('cse-in/away/cmd', aei, 23, 'sub', { nu: [aei], enc: { net: [3] } }));
      await ae.close();
      const w = await PlainClient.connect(reg.url, { protocols: 'oneM2M.json' });
      const wid = await register(w, 'writer');
      for (const con of ['a', 'b', 'c']) await w.request(create('cse-in/away/cmd', wid, 4, 'cin', { con }));
      await reg.cse.idle();
      assert.equal(reg.pendingNotifications(aei), 2);
      const back = await PlainClient.connect(reg.url, { protocols: 'oneM2M.json' });
      await back.request(retrieve('cse-in/away', aei));
      await back.waitFor(() => (back.requests.length === 2 ? true : undefined), 5000, 'two notifications');
      const cons = back.requests.map(
        (r) => (r.pc?.['m2m:sgn'] as { nev: { rep: { 'm2m:cin': { con: string } } } }).nev.rep['m2m:cin'].con,
      );
      assert.deepEqual(cons, ['b', 'c']);
      await Promise.all([w.close(), back.close()]);
    } finally {
      await reg.close();
    }
  });
});
