/**
 * Each imitation switch, over loopback sockets: what ACME and Mobius do differently from the
 * standard, so that the agent's compatibility switches can be tested against them.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { jsonCodec } from '../../src/codec/index.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/protocol/primitive.js';
import {
  resolveQuirks,
  startRegistrar,
  type NotificationEvent,
  type QuirkEvent,
  type Registrar,
  type RegistrarOptions,
} from '../../src/cse/index.js';
import { PlainClient } from '../helpers/plain-client.js';
import { aeCreate, body, create, omit, register, retrieve } from './support/flows.js';
import { clientFrame, rawHandshake, type RawClient } from './support/raw-client.js';

let reg: Registrar | undefined;
const clients: PlainClient[] = [];
const raws: RawClient[] = [];

async function start(opts: RegistrarOptions): Promise<Registrar> {
  reg = await startRegistrar(opts);
  return reg;
}

async function connect(
  r: Registrar,
  protocols: string | string[],
  headers?: Record<string, string>,
): Promise<PlainClient> {
  const c = await PlainClient.connect(r.url, { protocols, ...(headers ? { headers } : {}) });
  clients.push(c);
  return c;
}

/** A raw JSON connection with an AE registered on it; returns the client and the AE-ID. */
async function rawJsonAe(
  r: Registrar,
  protocol: string,
  rn: string,
): Promise<{ raw: RawClient; aei: string }> {
  const hs = await rawHandshake(r.port, [['Sec-WebSocket-Protocol', protocol]]);
  assert.equal(hs.status, 101);
  const raw = hs.client;
  assert.ok(raw);
  raws.push(raw);
  raw.writeFrames([clientFrame(1, jsonCodec.encode(aeCreate(rn, undefined)))]);
  const rsp = jsonCodec.decode((await raw.frame(0)).payload) as ResponsePrimitive;
  return { raw, aei: String(body(rsp, 'ae').aei) };
}

function rqiOf(frame: { payload: Buffer }): string {
  return jsonCodec.decode(frame.payload).rqi;
}

/** Subscribes `aei` to a new container under its AE and writes one instance into it; returns the event. */
async function notifyOnce(r: Registrar, c: PlainClient, aei: string, rn: string): Promise<NotificationEvent> {
  const events: NotificationEvent[] = [];
  r.on('notification', (e) => events.push(e));
  assert.equal((await c.request(create(`cse-in/${rn}`, aei, 3, 'cnt', { rn: 'cmd' }))).rsc, 2001);
  assert.equal(
    (await c.request(create(`cse-in/${rn}/cmd`, aei, 23, 'sub', { nu: [aei], enc: { net: [3] } }))).rsc,
    2001,
  );
  assert.equal((await c.request(create(`cse-in/${rn}/cmd`, aei, 4, 'cin', { con: 'on' }))).rsc, 2001);
  await r.cse.idle();
  const ev = events.find((e) => e.request.op === 5 && e.target === aei);
  assert.ok(ev, 'a notification was attempted');
  return ev;
}

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  for (const raw of raws.splice(0)) raw.destroy();
  await reg?.close();
  reg = undefined;
});

describe('ACME quirks', () => {
  test('presets resolve, and single switches override them', () => {
    const q = resolveQuirks('acme', { pipelining: 'serve' });
    assert.equal(q.pipelining, 'serve');
    assert.equal(q.originHeaderIdentification, true);
    assert.equal(resolveQuirks(undefined, {}).originHeaderIdentification, false);
  });

  test('subprotocol by its own order: JSON when both are offered, CBOR only when alone', async () => {
    const r = await start({ imitate: 'acme' });
    assert.equal((await connect(r, ['oneM2M.cbor', 'oneM2M.json'])).protocol, 'oneM2M.json');
    assert.equal((await connect(r, ['oneM2M.cbor'])).protocol, 'oneM2M.cbor');
    await assert.rejects(connect(r, ['oneM2M.xml']), /400/);
  });

  test('X-M2M-Origin: without it only <AE> CREATE works; with it, requests from that originator', async () => {
    const r = await start({ imitate: 'acme' });
    const anon = await connect(r, 'oneM2M.json');
    const aei = await register(anon, 'acme1');
    assert.equal((await anon.request(retrieve('cse-in/acme1', aei))).rsc, 4103, 'even after its own CREATE');
    const named = await connect(r, 'oneM2M.json', { 'X-M2M-Origin': aei });
    assert.equal((await named.request(retrieve('cse-in/acme1', aei))).rsc, 2000);
    assert.equal((await named.request(retrieve('cse-in/acme1', 'Cother'))).rsc, 4103);
    // Sending the stem from the first handshake lets one connection do everything.
    const early = await connect(r, 'oneM2M.json', { 'X-M2M-Origin': 'Cearly' });
    assert.equal(await register(early, 'early', 'Cearly'), 'Cearly');
    assert.equal((await early.request(retrieve('cse-in/early', 'Cearly'))).rsc, 2000);
  });

  test('notifications only to an AE with a ws:// poa', async () => {
    const r = await start({ imitate: 'acme' });
    const bare = await connect(r, 'oneM2M.json', { 'X-M2M-Origin': 'Cbare' });
    await register(bare, 'bare', 'Cbare');
    const dropped = await notifyOnce(r, bare, 'Cbare', 'bare');
    assert.equal(dropped.delivery.outcome, 'undeliverable');
    assert.match(dropped.delivery.reason ?? '', /poa/);
    const ws = await connect(r, 'oneM2M.json', { 'X-M2M-Origin': 'Cws' });
    await register(ws, 'ws', 'Cws', { poa: ['ws://default'] });
    assert.equal((await notifyOnce(r, ws, 'Cws', 'ws')).delivery.outcome, 'delivered');
  });

  test('notifications as JSON text frames on a CBOR link unless csz asks for CBOR', async () => {
    const r = await start({ imitate: 'acme' });
    const plain = await connect(r, 'oneM2M.cbor', { 'X-M2M-Origin': 'Cplain' });
    await register(plain, 'plain', 'Cplain', { poa: ['ws://default'] });
    await notifyOnce(r, plain, 'Cplain', 'plain');
    const n1 = plain.received.find((m) => m.primitive !== undefined && 'op' in m.primitive);
    assert.equal(n1?.binary, false, 'JSON text frame');
    const cbor = await connect(r, 'oneM2M.cbor', { 'X-M2M-Origin': 'Ccbor' });
    await register(cbor, 'cbor', 'Ccbor', { poa: ['ws://default'], csz: ['application/cbor'] });
    await notifyOnce(r, cbor, 'Ccbor', 'cbor');
    const n2 = cbor.received.find((m) => m.primitive !== undefined && 'op' in m.primitive);
    assert.equal(n2?.binary, true, 'CBOR binary frame');
  });

  test('rvi required (4001), bare /id-in refused (4000), duplicate <remoteCSE> 4105', async () => {
    const r = await start({ imitate: 'acme', quirks: { allowedCsrOriginators: ['/id-asn'] } });
    const c = await connect(r, 'oneM2M.json', { 'X-M2M-Origin': 'Cq' });
    const noRvi = omit(aeCreate('q', 'Cq'), 'rvi') as unknown as RequestPrimitive;
    assert.equal((await c.request(noRvi)).rsc, 4001);
    assert.equal((await c.request(aeCreate('q', 'Cq', {}, '/id-in'))).rsc, 4000);
    await register(c, 'q', 'Cq');
    assert.equal((await c.request(retrieve('/id-in', 'Cq'))).rsc, 4000);
    assert.equal((await c.request(retrieve('/id-in/cse-in', 'Cq'))).rsc, 2000);
    const asn = await connect(r, 'oneM2M.json', { 'X-M2M-Origin': '/id-asn' });
    const csr = (rqi: string): RequestPrimitive => ({
      ...create('cse-in', '/id-asn', 16, 'csr', {
        rn: 'asn',
        cb: '/id-asn/cse-asn',
        rr: true,
        srv: ['3'],
        cst: 3,
      }),
      rqi,
    });
    assert.equal((await asn.request(csr('x1'))).rsc, 2001);
    assert.equal((await asn.request(csr('x2'))).rsc, 4105);
  });

  test('<remoteCSE>: refused (4103) unless on allowedCSROriginators, named after the CSE-ID, no empty poa', async () => {
    const r = await start({ imitate: 'acme' });
    const csr = (fr: string, extra: Record<string, unknown> = {}): RequestPrimitive =>
      create('cse-in', fr, 16, 'csr', {
        rn: 'asked',
        cb: `${fr}/cse`,
        rr: true,
        srv: ['3'],
        cst: 3,
        ...extra,
      });
    // ACME's own default: an empty allow-list, nobody may register a <remoteCSE>.
    const gw = await connect(r, 'oneM2M.json', { 'X-M2M-Origin': '/id-gw1' });
    const refused = await gw.request(csr('/id-gw1'));
    assert.equal(refused.rsc, 4103);
    assert.match(String(refused.pc?.['m2m:dbg']), /allowedCSROriginators/);
    await r.close();

    const allowing = await start({ imitate: 'acme', quirks: { allowedCsrOriginators: ['/id-gw1'] } });
    const c = await connect(allowing, 'oneM2M.json', { 'X-M2M-Origin': '/id-gw1' });
    const empty = await c.request(csr('/id-gw1', { poa: [] }));
    assert.equal(empty.rsc, 4000);
    assert.equal(empty.pc?.['m2m:dbg'], 'Optional list attribute must be non-empty: poa');
    const ok = await c.request(csr('/id-gw1', { poa: ['ws://default'] }));
    assert.equal(ok.rsc, 2001);
    assert.equal(body(ok, 'csr').rn, 'id-gw1', 'named after the CSE-ID, not the rn asked');
    assert.equal(body(ok, 'csr').ri, 'id-gw1');
    assert.equal(allowing.cse.resource('cse-in/asked'), undefined);
    const other = await connect(allowing, 'oneM2M.json', { 'X-M2M-Origin': '/id-gw2' });
    assert.equal((await other.request(csr('/id-gw2'))).rsc, 4103);
  });

  test('pipelining "drop": a request arriving while one is handled is lost', async () => {
    const r = await start({ quirks: { pipelining: 'drop' } });
    const seen: QuirkEvent[] = [];
    r.on('quirk', (e) => seen.push(e));
    const { raw, aei } = await rawJsonAe(r, 'oneM2M.json', 'pipe1');
    const a = retrieve('cse-in/pipe1', aei);
    const b = retrieve('cse-in/pipe1', aei);
    raw.writeFrames([clientFrame(1, jsonCodec.encode(a)), clientFrame(1, jsonCodec.encode(b))]);
    assert.equal(rqiOf(await raw.frame(1)), a.rqi);
    const c = retrieve('cse-in/pipe1', aei);
    raw.writeFrames([clientFrame(1, jsonCodec.encode(c))]);
    assert.equal(rqiOf(await raw.frame(2)), c.rqi, 'the next frame answers the later request: b was dropped');
    assert.ok(seen.some((e) => e.detail === `dropped ${b.rqi}`));
  });

  test('pipelining "duplicate": the pipelined request is executed twice', async () => {
    const r = await start({ quirks: { pipelining: 'duplicate' } });
    const { raw, aei } = await rawJsonAe(r, 'oneM2M.json', 'pipe2');
    const mk = create('cse-in/pipe2', aei, 3, 'cnt', { rn: 'c' });
    raw.writeFrames([clientFrame(1, jsonCodec.encode(mk))]);
    await raw.frame(1);
    const a = retrieve('cse-in/pipe2', aei);
    const b = create('cse-in/pipe2/c', aei, 4, 'cin', { con: 1 });
    raw.writeFrames([clientFrame(1, jsonCodec.encode(a)), clientFrame(1, jsonCodec.encode(b))]);
    const rqis = [rqiOf(await raw.frame(2)), rqiOf(await raw.frame(3)), rqiOf(await raw.frame(4))];
    assert.deepEqual(rqis, [a.rqi, b.rqi, b.rqi]);
    assert.equal(r.cse.resource('cse-in/pipe2/c')?.cni, 2);
  });
});

describe('Mobius quirks', () => {
  test('only the first offered name counts: legacy JSON accepted and echoed, oneM2M.json first is HTTP 500', async () => {
    const r = await start({ imitate: 'mobius' });
    assert.equal((await connect(r, ['oneM2M.R2.0.json', 'oneM2M.json'])).protocol, 'oneM2M.R2.0.json');
    assert.equal((await connect(r, ['onem2m.r2.0.json'])).protocol, 'onem2m.r2.0.json');
    await assert.rejects(connect(r, ['oneM2M.json', 'oneM2M.R2.0.json']), /500/);
    await assert.rejects(connect(r, ['oneM2M.cbor', 'oneM2M.R2.0.json']), /500/);
    assert.equal(
      (await connect(r, 'oneM2M.R2.0.json')).protocol,
      'oneM2M.R2.0.json',
      'still serving after a 500',
    );
  });

  test('binary frames get 4000; any rvi accepted and answered "2a"', async () => {
    const r = await start({ imitate: 'mobius' });
    const c = await connect(r, 'oneM2M.R2.0.json');
    const odd = await c.request({ ...aeCreate('mob', undefined), rvi: '9' });
    assert.equal(odd.rsc, 2001);
    assert.equal(odd.rvi, '2a');
    c.sendRaw(Buffer.from(JSON.stringify(retrieve('cse-in', 'x', { rqi: 'bin1' }))), true);
    const answer = await c.waitFor(
      () => c.received.find((m) => m.primitive?.rqi === 'bin1'),
      5000,
      'the 4000',
    );
    assert.equal((answer.primitive as ResponsePrimitive).rsc, 4000);
  });

  test('pipelined requests are answered once each, out of order', async () => {
    const r = await start({ imitate: 'mobius' });
    const { raw, aei } = await rawJsonAe(r, 'oneM2M.R2.0.json', 'mob2');
    const a = retrieve('cse-in/mob2', aei);
    const b = retrieve('cse-in', aei);
    raw.writeFrames([clientFrame(1, jsonCodec.encode(a)), clientFrame(1, jsonCodec.encode(b))]);
    assert.deepEqual([rqiOf(await raw.frame(1)), rqiOf(await raw.frame(2))], [b.rqi, a.rqi]);
  });

  test('a message over 64 KiB closes the connection with 1009', async () => {
    const r = await start({ imitate: 'mobius' });
    const c = await connect(r, 'oneM2M.R2.0.json');
    c.sendRaw(JSON.stringify({ op: 2, to: 'cse-in', rqi: 'big', pad: 'x'.repeat(70 * 1024) }), false);
    assert.equal((await c.closed).code, 1009);
  });

  test('an <AE> CREATE carrying csz fails with 5000 (Mobius 2.4 on MariaDB); without csz it works', async () => {
    const r = await start({ imitate: 'mobius' });
    const c = await connect(r, 'oneM2M.R2.0.json');
    const withCsz = await c.request(aeCreate('m1', 'Cm1', { csz: ['application/json'] }));
    assert.equal(withCsz.rsc, 5000);
    assert.equal(withCsz.pc?.['m2m:dbg'], '[create_action] create resource error');
    assert.equal((await c.request(aeCreate('m1', 'Cm1'))).rsc, 2001);
  });

  test('never sends requests over the client connection', async () => {
    const r = await start({ imitate: 'mobius' });
    const c = await connect(r, 'oneM2M.R2.0.json');
    const aei = await register(c, 'mob3', undefined, { poa: ['ws://default'] });
    const ev = await notifyOnce(r, c, aei, 'mob3');
    assert.equal(ev.delivery.outcome, 'undeliverable');
    assert.equal(c.requests.length, 0);
  });
});

describe('standard defaults against single switches', () => {
  test('rejectMissingRvi off: a request without rvi is served and answered with rvi', async () => {
    const r = await start({ quirks: { rejectMissingRvi: false } });
    const c = await connect(r, 'oneM2M.json');
    const rsp = await c.request(omit(aeCreate('norvi', undefined), 'rvi') as unknown as RequestPrimitive);
    assert.equal(rsp.rsc, 2001);
    assert.equal(rsp.rvi, '3');
  });

  test('bare /id-in addresses the CSEBase; a second <remoteCSE> from the same CSE is 4117', async () => {
    const r = await start({});
    const c = await connect(r, 'oneM2M.json');
    const aei = await register(c, 'std');
    const cb = await c.request(retrieve('/id-in', aei));
    assert.equal(cb.rsc, 2000);
    assert.equal(body(cb, 'cb').csi, '/id-in');
    const asn = await connect(r, 'oneM2M.json');
    const csr = create('cse-in', '/id-asn', 16, 'csr', { cb: '/id-asn/cse-asn', rr: true, srv: ['3'] });
    assert.equal((await asn.request(csr)).rsc, 2001);
    assert.equal((await asn.request({ ...csr, rqi: 'again' })).rsc, 4117);
  });

  test('pings: a client that never answers is dropped; one that answers stays', async () => {
    const r = await start({ quirks: { pingIntervalMs: 30, pongTimeoutMs: 60 } });
    const hs = await rawHandshake(r.port, [['Sec-WebSocket-Protocol', 'oneM2M.json']]);
    assert.ok(hs.client);
    raws.push(hs.client);
    assert.equal((await hs.client.frame(0)).opcode, 9, 'a ping');
    await hs.client.closed;
    const c = await connect(r, 'oneM2M.json');
    let pings = 0;
    await new Promise<void>((resolve) => {
      c.ws.on('ping', () => {
        if (++pings === 3) resolve();
      });
    });
    assert.equal(c.ws.readyState, c.ws.OPEN);
  });
});
