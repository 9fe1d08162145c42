/**
 * Filter criteria on RETRIEVE, in process: discovery (`m2m:uril`, structured and unstructured),
 * conditional retrieval with rcn 4/5/6/8, `ty`/`lbl`/`cty`/`sza`/`stb` conditions with AND/OR,
 * `lvl`/`ofst`/`lim` paging, refusals of malformed (4000) and unevaluated (5001) members; the
 * local `<remoteCSE>` record an ASN-CSE keeps of its registrar; SP-relative `fr` when forwarding.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Cse, type NotificationSink } from '../../src/cse/index.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/protocol/primitive.js';
import { aeCreate, body, create, retrieve } from './support/flows.js';

let cse: Cse;

async function ok(req: RequestPrimitive, rsc: number): Promise<ResponsePrimitive> {
  const rsp = await cse.handle(req);
  assert.equal(rsp.rsc, rsc, JSON.stringify(rsp));
  assert.equal(rsp.rqi, req.rqi);
  return rsp;
}

beforeEach(async () => {
  let n = 0;
  cse = new Cse({ random: () => String(++n).padStart(4, '0') });
  await ok(aeCreate('app', 'Capp'), 2001);
  await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'temp', lbl: ['sensor'] }), 2001);
  await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'fan', lbl: ['actuator'] }), 2001);
  for (const con of ['1', '22', '333'])
    await ok(create('cse-in/app/temp', 'Capp', 4, 'cin', { con, cnf: 'text/plain:0' }), 2001);
  await ok(create('cse-in/app/fan', 'Capp', 4, 'cin', { con: '[]', cnf: 'application/senml+json:0' }), 2001);
});

describe('discovery (fu 1)', () => {
  test('lists matching descendants, structured by default, ri with drt 2', async () => {
    const rsp = await ok(retrieve('cse-in/app', 'Capp', { fc: { fu: 1, ty: [3] } }), 2000);
    assert.deepEqual(rsp.pc?.['m2m:uril'], ['cse-in/app/temp', 'cse-in/app/fan']);
    const un = await ok(retrieve('cse-in/app', 'Capp', { fc: { fu: 1, lbl: ['actuator'] }, drt: 2 }), 2000);
    const ids = un.pc?.['m2m:uril'] as string[];
    assert.equal(ids.length, 1);
    assert.equal(cse.resource(ids[0] ?? '')?.rn, 'fan');
  });

  test('lvl limits the depth; ofst (1-based) and lim page the matches', async () => {
    const top = await ok(retrieve('cse-in', 'Capp', { fc: { fu: 1, lvl: 1 } }), 2000);
    assert.deepEqual(top.pc?.['m2m:uril'], ['cse-in/app']);
    const page = await ok(retrieve('cse-in/app/temp', 'Capp', { fc: { fu: 1, ofst: 2, lim: 1 } }), 2000);
    const all = await ok(retrieve('cse-in/app/temp', 'Capp', { fc: { fu: 1 } }), 2000);
    assert.deepEqual(page.pc?.['m2m:uril'], [(all.pc?.['m2m:uril'] as string[])[1]]);
  });

  test('AND by default, OR with fo 2; cty matches the media type of cnf; sza/szb on cs', async () => {
    const and = await ok(
      retrieve('cse-in/app', 'Capp', { fc: { fu: 1, ty: [4], cty: ['text/plain'] } }),
      2000,
    );
    assert.equal((and.pc?.['m2m:uril'] as string[]).length, 3);
    const or = await ok(
      retrieve('cse-in/app', 'Capp', {
        fc: { fu: 1, lbl: ['sensor'], cty: ['application/senml+json'], fo: 2 },
      }),
      2000,
    );
    assert.equal((or.pc?.['m2m:uril'] as string[]).length, 2);
    const big = await ok(retrieve('cse-in/app/temp', 'Capp', { fc: { fu: 1, sza: 2, szb: 3 } }), 2000);
    assert.equal((big.pc?.['m2m:uril'] as string[]).length, 1, 'only the 2-byte instance');
  });
});

describe('conditional retrieval (fu 2, default)', () => {
  test('rcn 4 returns the target with the matching children only, lim applied', async () => {
    const rsp = await ok(retrieve('cse-in/app/temp', 'Capp', { rcn: 4, fc: { ty: [4], lim: 2 } }), 2000);
    const cnt = body(rsp, 'cnt');
    assert.equal(cnt.rn, 'temp');
    const cins = cnt['m2m:cin'] as { con: string }[];
    assert.deepEqual(
      cins.map((c) => c.con),
      ['1', '22'],
    );
  });

  test('rcn 4 nests matches under their nearest matching ancestor; rcn 8 leaves the target out', async () => {
    const rsp = await ok(
      retrieve('cse-in/app', 'Capp', { rcn: 4, fc: { lbl: ['actuator'], ty: [3, 4], fo: 2 } }),
      2000,
    );
    const ae = body(rsp, 'ae');
    const cnts = ae['m2m:cnt'] as Record<string, unknown>[];
    assert.deepEqual(
      cnts.map((c) => c.rn),
      ['temp', 'fan'],
    );
    assert.equal((cnts[0]?.['m2m:cin'] as unknown[]).length, 3);
    const only = await ok(retrieve('cse-in/app', 'Capp', { rcn: 8, fc: { ty: [3] } }), 2000);
    const inner = body(only, 'ae');
    assert.equal(inner.rn, undefined);
    assert.equal((inner['m2m:cnt'] as unknown[]).length, 2);
  });

  test('rcn 5 and 6 give references to the matches; rcn 1 returns the target itself', async () => {
    const r5 = await ok(retrieve('cse-in/app', 'Capp', { rcn: 5, fc: { ty: [3], lim: 1 } }), 2000);
    assert.deepEqual(
      (body(r5, 'ae').ch as { nm: string }[]).map((c) => c.nm),
      ['temp'],
    );
    const r6 = await ok(retrieve('cse-in/app/temp', 'Capp', { rcn: 6, fc: { stb: 1 } }), 2000);
    const rrf = (r6.pc?.['m2m:rrl'] as { rrf: { typ: number }[] }).rrf;
    assert.equal(rrf.length, 2, 'instances whose stateTag is above 1');
    const r1 = await ok(retrieve('cse-in/app/temp', 'Capp', { fc: { ty: [99] } }), 2000);
    assert.equal(body(r1, 'cnt').rn, 'temp');
  });

  test('malformed members are 4000, unevaluated ones 5001', async () => {
    await ok(retrieve('cse-in/app', 'Capp', { fc: { lim: -1 } }), 4000);
    await ok(retrieve('cse-in/app', 'Capp', { fc: { ty: ['cnt'] } }), 4000);
    await ok(retrieve('cse-in/app', 'Capp', { fc: { crb: 'yesterday' } }), 4000);
    await ok(retrieve('cse-in/app', 'Capp', { fc: { nonsense: 1 } }), 4000);
    await ok(retrieve('cse-in/app', 'Capp', { fc: { fu: 3 } }), 5001);
    await ok(retrieve('cse-in/app', 'Capp', { fc: { chty: [4] } }), 5001);
    await ok(retrieve('cse-in/app/temp#mni', 'Capp', { fc: { ty: [4] } }), 4000);
  });
});

describe('an ASN-CSE and its registrar', () => {
  test('records the registrar as a local <remoteCSE> in process, though it refuses one by request', async () => {
    const asn = new Cse({ cseId: '/id-asn', cseName: 'asn', cseType: 3 });
    const csr = asn.setRegistrar({ csi: '/id-in', cb: '/id-in/cse-in', cst: 1, poa: ['ws://x'], srv: ['3'] });
    assert.equal(csr.csi, '/id-in');
    assert.equal(asn.resource('asn/id-in')?.cb, '/id-in/cse-in');
    asn.setRegistrar({ csi: '/id-in', cb: '/id-in/cse-in2' });
    assert.equal(asn.resource('asn/id-in')?.cb, '/id-in/cse-in2', 'replaced, not duplicated');
    const refused = await asn.handle(
      create('asn', '/id-other', 16, 'csr', { cb: '/id-other/x', rr: true, srv: ['3'] }),
    );
    assert.equal(refused.rsc, 4005);
  });

  test('a forwarded request carries an AE-ID stem SP-relative', async () => {
    const forwarded: RequestPrimitive[] = [];
    const sink: NotificationSink = {
      notify: () => Promise.resolve({ outcome: 'undeliverable' }),
      forward: (_cseId, req) => {
        forwarded.push(req);
        return Promise.resolve({ rsc: 2000, rqi: req.rqi, rvi: '3' });
      },
    };
    cse.setSink(sink);
    await ok(create('cse-in', '/id-asn', 16, 'csr', { cb: '/id-asn/asn', rr: true, srv: ['3'] }), 2001);
    await ok(retrieve('/id-asn/asn', 'Capp'), 2000);
    await ok(retrieve('/id-asn/asn', '/id-other'), 2000);
    assert.deepEqual(
      forwarded.map((r) => r.fr),
      ['/id-in/Capp', '/id-other'],
    );
  });
});
