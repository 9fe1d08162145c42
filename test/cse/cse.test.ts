/**
 * The CSE core in-process (no sockets): addressing forms, result content, resource rules, expiry
 * with a manual clock, subscriptions and verification through a fake sink, forwarding.
 */
import assert from 'node:assert/strict';
import { beforeEach, describe, test } from 'node:test';
import { Cse, type Delivery, type NotificationSink, type ResourceEvent } from '../../src/cse/index.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/protocol/primitive.js';
import { toOneM2MTime } from '../../src/protocol/timestamp.js';
import { ManualClock } from '../../src/util/clock.js';
import { aeCreate, body, create, del, retrieve } from './support/flows.js';

/** A sink that records what the CSE sends and answers as told. */
class FakeSink implements NotificationSink {
  readonly sent: { target: string; req: RequestPrimitive; queue: boolean }[] = [];
  readonly forwarded: { cseId: string; req: RequestPrimitive }[] = [];
  answer: (req: RequestPrimitive) => Delivery = (req) => ({
    outcome: 'delivered',
    response: { rsc: 2000, rqi: req.rqi, rvi: '3' },
  });
  forwardAnswer: ResponsePrimitive | undefined = undefined;
  notify(target: string, req: RequestPrimitive, opts: { queueIfOffline: boolean }): Promise<Delivery> {
    this.sent.push({ target, req, queue: opts.queueIfOffline });
    return Promise.resolve(this.answer(req));
  }
  forward(cseId: string, req: RequestPrimitive): Promise<ResponsePrimitive | undefined> {
    this.forwarded.push({ cseId, req });
    return Promise.resolve(this.forwardAnswer && { ...this.forwardAnswer, rqi: req.rqi });
  }
}

let clock: ManualClock;
let cse: Cse;
let sink: FakeSink;
let n = 0;
const random = (): string => String(++n).padStart(4, '0');

async function ok(req: RequestPrimitive, rsc: number): Promise<ResponsePrimitive> {
  const rsp = await cse.handle(req);
  assert.equal(rsp.rsc, rsc, JSON.stringify(rsp));
  assert.equal(rsp.rqi, req.rqi);
  assert.equal(typeof rsp.rvi, 'string');
  return rsp;
}

beforeEach(async () => {
  clock = new ManualClock(Date.UTC(2026, 0, 1));
  cse = new Cse({ clock, random });
  sink = new FakeSink();
  cse.setSink(sink);
  await ok(aeCreate('app', 'Capp'), 2001);
  await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'box' }), 2001);
});

describe('addressing', () => {
  test('every form reaches the same container', async () => {
    const ri = String(cse.resource('cse-in/app/box')?.ri);
    for (const to of [
      'cse-in/app/box',
      '-/app/box',
      '/id-in/cse-in/app/box',
      '//sp.example/id-in/cse-in/app/box',
      ri,
      `/id-in/${ri}`,
      'Capp/box',
      '/id-in/Capp/box',
    ]) {
      const rsp = await ok(retrieve(to, 'Capp'), 2000);
      assert.equal(body(rsp, 'cnt').ri, ri, to);
    }
    for (const to of ['/id-in', 'id-in', 'cse-in', '-'])
      assert.equal(body(await ok(retrieve(to, 'Capp'), 2000), 'cb').ri, 'id-in');
    assert.deepEqual(
      (await ok(retrieve('cse-in/app/box#mni', 'Capp'), 4004)).pc?.['m2m:dbg'] !== undefined,
      true,
    );
    assert.deepEqual(body(await ok(retrieve('cse-in/app#api', 'Capp'), 2000), 'ae'), { api: 'Nm2m-test' });
    await ok(retrieve('cse-in/nothing', 'Capp'), 4004);
    await ok(retrieve('/id-elsewhere/cse-x', 'Capp'), 4004);
    await ok(retrieve('cse-in//app', 'Capp'), 4000);
  });
});

describe('result content', () => {
  test('CREATE rcn 0, 2, 3, 9; rcn 7 is 4000 on CREATE', async () => {
    assert.equal(
      (await ok({ ...create('cse-in/app/box', 'Capp', 4, 'cin', { con: 'a' }), rcn: 0 }, 2001)).pc,
      undefined,
    );
    const uri = await ok(
      { ...create('cse-in/app/box', 'Capp', 4, 'cin', { rn: 'b', con: 'b' }), rcn: 2 },
      2001,
    );
    assert.deepEqual(uri.pc, { 'm2m:uri': 'cse-in/app/box/b' });
    const rce = await ok(
      { ...create('cse-in/app/box', 'Capp', 4, 'cin', { rn: 'c', con: 'c' }), rcn: 3 },
      2001,
    );
    const rceBody = rce.pc?.['m2m:rce'] as { uri: string; 'm2m:cin': { con: string } };
    assert.deepEqual([rceBody.uri, rceBody['m2m:cin'].con], ['cse-in/app/box/c', 'c']);
    const mod = body(
      await ok({ ...create('cse-in/app/box', 'Capp', 4, 'cin', { con: 'd' }), rcn: 9 }, 2001),
      'cin',
    );
    assert.equal(mod.con, undefined, 'con was sent as is');
    assert.ok('ri' in mod && 'cs' in mod && 'ct' in mod);
    await ok({ ...create('cse-in/app/box', 'Capp', 4, 'cin', { con: 'e' }), rcn: 7 }, 4000);
  });

  test('RETRIEVE rcn 4, 5, 6, 8; 7 not implemented; 2 invalid', async () => {
    await ok(create('cse-in/app/box', 'Capp', 4, 'cin', { rn: 'i1', con: 1 }), 2001);
    const r4 = body(await ok(retrieve('cse-in/app', 'Capp', { rcn: 4 }), 2000), 'ae');
    const boxes = r4['m2m:cnt'] as { rn: string; 'm2m:cin': { rn: string }[] }[];
    assert.deepEqual([boxes[0]?.rn, boxes[0]?.['m2m:cin'][0]?.rn], ['box', 'i1']);
    const r5 = body(await ok(retrieve('cse-in/app', 'Capp', { rcn: 5 }), 2000), 'ae');
    assert.deepEqual(
      (r5.ch as { nm: string; typ: number }[]).map((c) => [c.nm, c.typ]),
      [['box', 3]],
    );
    const r6 = (await ok(retrieve('cse-in/app/box', 'Capp', { rcn: 6 }), 2000)).pc?.['m2m:rrl'] as {
      rrf: { nm: string }[];
    };
    assert.deepEqual(
      r6.rrf.map((r) => r.nm),
      ['i1'],
    );
    const r8 = body(await ok(retrieve('cse-in/app/box', 'Capp', { rcn: 8 }), 2000), 'cnt');
    assert.deepEqual(Object.keys(r8), ['m2m:cin']);
    await ok(retrieve('cse-in/app', 'Capp', { rcn: 7 }), 5001);
    await ok(retrieve('cse-in/app', 'Capp', { rcn: 2 }), 4000);
  });

  test('UPDATE rcn 9 and null deletes; DELETE rcn 1 returns the deleted resource', async () => {
    const upd = await ok(
      {
        op: 3,
        to: 'cse-in/app/box',
        fr: 'Capp',
        rqi: 'u1',
        rvi: '3',
        rcn: 9,
        pc: { 'm2m:cnt': { mni: 5, lbl: ['a'] } },
      },
      2004,
    );
    assert.deepEqual(Object.keys(body(upd, 'cnt')).sort(), ['lbl', 'lt', 'mni', 'st']);
    await ok(
      { op: 3, to: 'cse-in/app/box', fr: 'Capp', rqi: 'u2', rvi: '3', pc: { 'm2m:cnt': { lbl: null } } },
      2004,
    );
    assert.equal(cse.resource('cse-in/app/box')?.lbl, undefined);
    const gone = await ok(del('cse-in/app/box', 'Capp', { rcn: 1 }), 2002);
    assert.equal(body(gone, 'cnt').rn, 'box');
    assert.equal(cse.resource('cse-in/app/box'), undefined);
  });
});

describe('resource rules', () => {
  test('attribute checks, parents, types, parameters', async () => {
    await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'x', ri: 'mine' }), 4000);
    await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'x', mni: -1 }), 4000);
    await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'la' }), 4000);
    await ok(create('cse-in/app', 'Capp', 4, 'cin', { con: 'x' }), 4108);
    await ok(create('cse-in/app', 'Capp', 9, 'grp', { mid: [] }), 5001);
    await ok(create('cse-in/app', 'Capp', 3, 'cin', { con: 'x' }), 4000);
    await ok(retrieve('cse-in/app', 'Capp', { ty: 3 }), 4000);
    await ok(retrieve('cse-in/app', 'Capp', { fc: { atr: [{ nm: 'x', val: 1 }] } }), 5001);
    await ok({ op: 2, to: 'cse-in/app', rqi: 'nofr', rvi: '3' }, 4000);
    await ok(retrieve('cse-in/app', 'Capp', { rt: { rtv: 2 } }), 5001);
    await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'box' }), 4105);
  });

  test('contentInstance: no UPDATE, cs counted, mbs enforced (oldest first, 5207 when too big)', async () => {
    await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'small', mbs: 10 }), 2001);
    const c1 = body(
      await ok(create('cse-in/app/small', 'Capp', 4, 'cin', { rn: 'a', con: 'abcdef' }), 2001),
      'cin',
    );
    assert.equal(c1.cs, 6);
    await ok(create('cse-in/app/small', 'Capp', 4, 'cin', { rn: 'b', con: 'ghijkl' }), 2001);
    assert.equal(cse.resource('cse-in/app/small/a'), undefined, 'oldest removed to keep mbs');
    assert.deepEqual([cse.resource('cse-in/app/small')?.cni, cse.resource('cse-in/app/small')?.cbs], [1, 6]);
    await ok(create('cse-in/app/small', 'Capp', 4, 'cin', { con: 'x'.repeat(11) }), 5207);
    await ok(
      { op: 3, to: 'cse-in/app/small/b', fr: 'Capp', rqi: 'u', rvi: '3', pc: { 'm2m:cin': { con: 'z' } } },
      4005,
    );
    await ok(
      { op: 3, to: 'cse-in/app/small', fr: 'Capp', rqi: 'u3', rvi: '3', pc: { 'm2m:cnt': { mni: 0 } } },
      2004,
    );
    assert.equal(cse.resource('cse-in/app/small')?.cni, 0, 'a lower mni applies at once');
  });

  test('mia and et expire with the clock', async () => {
    await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'aged', mia: 60 }), 2001);
    await ok(create('cse-in/app/aged', 'Capp', 4, 'cin', { rn: 'old', con: 1 }), 2001);
    clock.advance(61_000);
    await ok(create('cse-in/app/aged', 'Capp', 4, 'cin', { rn: 'new', con: 2 }), 2001);
    assert.equal(cse.resource('cse-in/app/aged/old'), undefined);
    const et = toOneM2MTime(clock.nowMs() + 10_000, false);
    await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'brief', et }), 2001);
    await ok(create('cse-in/app', 'Capp', 3, 'cnt', { rn: 'past', et: '20000101T000000' }), 4000);
    clock.advance(11_000);
    await ok(retrieve('cse-in/app/brief', 'Capp'), 4004);
  });

  test('schedule entries are validated; nco only under <node>', async () => {
    await ok(
      create('cse-in/app', 'Capp', 18, 'sch', {
        rn: 's',
        se: { sce: ['* 0-5 2,6,10 * * * *', '* * 0-23/2 * * */2 *'] },
      }),
      2001,
    );
    await ok(create('cse-in/app', 'Capp', 18, 'sch', { se: { sce: ['* * * * *'] } }), 4000);
    await ok(create('cse-in/app', 'Capp', 18, 'sch', { se: { sce: ['* 61 * * * * *'] } }), 4000);
    await ok(create('cse-in/app', 'Capp', 18, 'sch', { se: { sce: ['* * * * * * *'] }, nco: true }), 4102);
  });

  test('remoteCSE: AE-ID as fr is 4005, csi must equal fr, an ASN-CSE refuses it', async () => {
    const csr = (fr: string, extra = {}): RequestPrimitive =>
      create('cse-in', fr, 16, 'csr', { cb: '/id-asn/cse-asn', rr: true, srv: ['3'], ...extra });
    await ok(csr('Capp'), 4005);
    await ok(csr('/id-asn', { csi: '/id-other' }), 4000);
    const made = body(await ok(csr('/id-asn'), 2001), 'csr');
    assert.deepEqual([made.ri, made.csi], ['id-asn', '/id-asn']);
    const asn = new Cse({ cseId: '/id-asn', cseName: 'cse-asn', cseType: 3 });
    assert.equal((await asn.handle({ ...csr('/id-mn'), to: 'cse-asn' })).rsc, 4005);
  });
});

describe('subscriptions and routing', () => {
  test('net 3 notification, nct 3, exc deletes the subscription after its last send', async () => {
    await ok(
      create('cse-in/app/box', 'Capp', 23, 'sub', {
        rn: 's',
        nu: ['/id-in/Capp'],
        nct: 3,
        exc: 1,
        enc: { net: [3] },
      }),
      2001,
    );
    await ok(create('cse-in/app/box', 'Capp', 4, 'cin', { rn: 'x', con: 1 }), 2001);
    await cse.idle();
    assert.equal(sink.sent.length, 1);
    const sent = sink.sent[0];
    assert.equal(sent?.target, 'Capp');
    assert.equal(sent.queue, true);
    const sgn = sent.req.pc?.['m2m:sgn'] as { nev: { rep: unknown; net: number } };
    assert.deepEqual(sgn.nev, { rep: { 'm2m:uri': cse.resource('cse-in/app/box/x')?.ri }, net: 3 });
    assert.equal(cse.resource('cse-in/app/box/s'), undefined, 'exc reached 0');
  });

  test('net 1 with nct 2 sends the modified attributes', async () => {
    await ok(create('cse-in/app/box', 'Capp', 23, 'sub', { nu: ['Capp'], nct: 2 }), 2001);
    await ok(
      { op: 3, to: 'cse-in/app/box', fr: 'Capp', rqi: 'u', rvi: '3', pc: { 'm2m:cnt': { mni: 9 } } },
      2004,
    );
    await cse.idle();
    const rep = (sink.sent[0]?.req.pc?.['m2m:sgn'] as { nev: { rep: unknown } }).nev.rep;
    assert.deepEqual(rep, { 'm2m:cnt': { mni: 9 } });
  });

  test('a nu naming another AE is verified first: 2000 creates, a refusal is 4101, no delivery 5204', async () => {
    await ok(aeCreate('other', 'Cother'), 2001);
    await ok(create('cse-in/app/box', 'Capp', 23, 'sub', { nu: ['Cother'] }), 2001);
    const vrq = sink.sent[0];
    assert.equal(vrq?.queue, false);
    assert.deepEqual(vrq.req.pc?.['m2m:sgn'] && (vrq.req.pc['m2m:sgn'] as { vrq: boolean }).vrq, true);
    sink.answer = (req) => ({ outcome: 'delivered', response: { rsc: 4101, rqi: req.rqi } });
    await ok(create('cse-in/app/box', 'Capp', 23, 'sub', { nu: ['Cother'] }), 4101);
    sink.answer = () => ({ outcome: 'undeliverable', reason: 'offline' });
    await ok(create('cse-in/app/box', 'Capp', 23, 'sub', { nu: ['Cother'] }), 5204);
    await ok(create('cse-in/app/box', 'Capp', 23, 'sub', { nu: ['Cnobody'] }), 5204);
    await ok(create('cse-in/app/box', 'Capp', 23, 'sub', { nu: ['Capp'], enc: { net: [5] } }), 5001);
  });

  test('requests for a registered remote CSE are forwarded and the answer relayed; 5103 without one', async () => {
    await ok(create('cse-in', '/id-asn', 16, 'csr', { cb: '/id-asn/cse-asn', rr: true, srv: ['3'] }), 2001);
    sink.forwardAnswer = { rsc: 2000, rqi: 'x', pc: { 'm2m:cin': { con: 'from-asn' } } };
    const rsp = await ok(retrieve('/id-asn/cse-asn/dev/la', 'Capp'), 2000);
    assert.equal(body(rsp, 'cin').con, 'from-asn');
    assert.equal(sink.forwarded[0]?.cseId, '/id-asn');
    assert.notEqual(sink.forwarded[0]?.req.rqi, rsp.rqi, 'forwarded with a fresh rqi');
    sink.forwardAnswer = undefined;
    await ok(retrieve('//sp/id-asn/cse-asn/dev', 'Capp'), 5103);
  });

  test('a NOTIFY addressed to a registered AE is relayed to it; other targets are 4005', async () => {
    const note: RequestPrimitive = {
      op: 5,
      to: '/id-in/Capp',
      fr: '/id-asn',
      rqi: 'nn',
      rvi: '3',
      pc: { 'm2m:sgn': {} },
    };
    const rsp = await ok(note, 2000);
    assert.equal(sink.sent[0]?.target, 'Capp');
    assert.equal(sink.sent[0]?.queue, false);
    assert.notEqual(sink.sent[0]?.req.rqi, 'nn');
    assert.equal(rsp.rqi, 'nn');
    sink.answer = () => ({ outcome: 'undeliverable', reason: 'offline' });
    await ok({ ...note, rqi: 'n2' }, 5103);
    await ok({ ...note, rqi: 'n3', to: 'cse-in/app/box' }, 4005);
  });

  test('events: created, updated and deleted with structured paths', async () => {
    const events: ResourceEvent[] = [];
    cse.events.on('resource', (e) => events.push(e));
    await ok(create('cse-in/app/box', 'Capp', 4, 'cin', { rn: 'e1', con: 'v' }), 2001);
    await ok(del('cse-in/app', 'Capp'), 2002);
    assert.deepEqual(events[0] && [events[0].kind, events[0].path, events[0].resource.con], [
      'created',
      'cse-in/app/box/e1',
      'v',
    ]);
    assert.deepEqual(
      events.filter((e) => e.kind === 'deleted').map((e) => e.path),
      ['cse-in/app/box/e1', 'cse-in/app/box', 'cse-in/app'],
    );
    await ok(aeCreate('app2', 'Capp'), 2001);
  });
});
