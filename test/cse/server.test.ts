/**
 * The development registrar over real loopback sockets, once per subprotocol (cbor, json, xml),
 * driven by the independent plain-`ws` client.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { cborCodec, jsonCodec } from '../../src/codec/index.js';
import { parseOneM2MTime } from '../../src/protocol/timestamp.js';
import { startRegistrar, type NotificationEvent, type Registrar } from '../../src/cse/index.js';
import type { RequestPrimitive } from '../../src/protocol/primitive.js';
import { PlainClient } from '../helpers/plain-client.js';
import { makeTestPki } from '../helpers/tls.js';
import { aeCreate, body, create, del, MATRIX, offer, omit, register, retrieve } from './support/flows.js';

interface AnnexStep {
  readonly request: Record<string, unknown>;
  readonly response: { readonly pc: Record<string, Record<string, unknown>> };
}
/** test/fixtures, found from here whether the test runs from source or from dist/. */
function fixtures(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, 'test', 'fixtures'))) return join(dir, 'test', 'fixtures');
  throw new Error('test/fixtures not found');
}
const annex = JSON.parse(readFileSync(join(fixtures(), 'vectors', 'annex-a.json'), 'utf8')) as {
  steps: AnnexStep[];
};

for (const { s, skip } of MATRIX) {
  describe(`registrar over oneM2M.${s}`, { skip }, () => {
    let reg: Registrar;
    const clients: PlainClient[] = [];
    const connect = async (
      opts: Partial<Parameters<typeof PlainClient.connect>[1]> = {},
    ): Promise<PlainClient> => {
      const c = await PlainClient.connect(reg.url, { protocols: offer(s), ...opts });
      clients.push(c);
      return c;
    };
    before(async () => {
      reg = await startRegistrar();
    });
    after(async () => {
      await Promise.all(clients.map((c) => c.close()));
      await reg.close();
    });

    test('Annex A flow, adapted to current releases (rvi, rr, srv; no rcn 7; our CSEBase)', async () => {
      const c = await connect();
      assert.equal(c.protocol, offer(s));
      const [step1, step2] = annex.steps;
      assert.ok(step1 && step2);
      const req1 = omit(step1.request, 'rcn');
      const aeVector = step1.request.pc as { 'm2m:ae': Record<string, unknown> };
      const r1 = await c.request({
        ...(req1 as { op: 1; to: string; rqi: string }),
        to: '//example.net/id-in',
        rvi: '3',
        pc: { 'm2m:ae': { ...aeVector['m2m:ae'], rr: true, srv: ['3'] } },
      });
      assert.equal(r1.rsc, 2001);
      assert.equal(r1.rqi, 'A1000');
      assert.equal(r1.rvi, '3');
      const ae = body(r1, 'ae');
      for (const key of Object.keys(step1.response.pc['m2m:ae'] ?? {}).filter((k) => k !== 'acpi')) {
        assert.ok(key in ae, `AE response lacks ${key}`);
      }
      assert.equal(ae.rn, 'SmartHomeApplication');
      assert.equal(ae.api, 'Na56');
      assert.match(String(ae.aei), /^C/, 'no fr: the registrar assigns a C-stem');
      assert.equal(ae.ri, ae.aei);
      assert.ok(parseOneM2MTime(String(ae.ct)) !== undefined);

      const req2 = omit(step2.request, 'rcn');
      const r2 = await c.request({
        ...(req2 as { op: 1; to: string; rqi: string }),
        to: '//example.net/id-in/cse-in/SmartHomeApplication',
        fr: String(ae.aei),
        rvi: '3',
      });
      assert.equal(r2.rsc, 2001);
      assert.equal(r2.rqi, 'A1001');
      const cnt = body(r2, 'cnt');
      for (const key of Object.keys(step2.response.pc['m2m:cnt'] ?? {}).filter(
        (k) => !['acpi', 'cr', 'mia'].includes(k),
      )) {
        assert.ok(key in cnt, `container response lacks ${key}`);
      }
      assert.deepEqual([cnt.mni, cnt.mbs, cnt.cni, cnt.cbs, cnt.st, cnt.pi], [500, 100000, 0, 0, 0, ae.ri]);
    });

    test('refuses requests before registration and from another originator (TS-0020)', async () => {
      const a = await connect();
      const b = await connect();
      assert.equal((await a.request(retrieve('cse-in', 'Cnobody'))).rsc, 4103);
      const aeA = await register(a, `refuseA-${s}`);
      const aeB = await register(b, `refuseB-${s}`);
      assert.equal((await a.request(retrieve('cse-in', aeA))).rsc, 2000);
      const wrongFr = await a.request(retrieve('cse-in', aeB));
      assert.equal(wrongFr.rsc, 4103, 'fr of an AE registered on another connection');
      assert.equal(typeof wrongFr.pc?.['m2m:dbg'], 'string');
    });

    test('la/ol and mni: oldest removed first', async () => {
      const c = await connect();
      const aei = await register(c, `mni-${s}`);
      const base = `cse-in/mni-${s}`;
      assert.equal((await c.request(create(base, aei, 3, 'cnt', { rn: 'box', mni: 3 }))).rsc, 2001);
      for (let i = 0; i < 5; i++) {
        assert.equal((await c.request(create(`${base}/box`, aei, 4, 'cin', { con: `v${i}` }))).rsc, 2001);
      }
      assert.equal(body(await c.request(retrieve(`${base}/box/la`, aei)), 'cin').con, 'v4');
      assert.equal(body(await c.request(retrieve(`${base}/box/ol`, aei)), 'cin').con, 'v2');
      const cnt = body(await c.request(retrieve(`${base}/box`, aei)), 'cnt');
      assert.equal(cnt.cni, 3);
      assert.equal(cnt.cbs, 6);
      assert.equal(cnt.st, 5);
      assert.equal((await c.request(del(`${base}/box/la`, aei))).rsc, 2002);
      assert.equal(body(await c.request(retrieve(`${base}/box/la`, aei)), 'cin').con, 'v3');
      assert.equal(body(await c.request(retrieve(`${base}/box`, aei)), 'cnt').cni, 2);
    });

    test('status codes 4000, 4001, 4008, 4105, 4117', async () => {
      const c = await connect();
      const noRvi = omit(aeCreate(`codes-${s}`, undefined), 'rvi') as unknown as RequestPrimitive;
      const missing = await c.request(noRvi);
      assert.equal(missing.rsc, 4001);
      assert.equal(missing.rvi, '3', 'every response carries rvi');
      assert.equal((await c.request({ ...aeCreate(`codes-${s}`, undefined), rvi: '9' })).rsc, 4001);
      assert.equal((await c.request(aeCreate(`codes-${s}`, undefined, { api: 'a56' }))).rsc, 4000);
      const aei = await register(c, `codes-${s}`, `Ccodes${s}`);
      assert.equal(aei, `Ccodes${s}`, 'a requested stem is accepted');
      assert.equal((await c.request(aeCreate(`other-${s}`, aei))).rsc, 4117);
      assert.equal((await c.request(aeCreate(`codes-${s}`, undefined))).rsc, 4105);
      const expired = await c.request(retrieve('cse-in', aei, { rqet: '20000101T000000' }));
      assert.equal(expired.rsc, 4008);
      assert.equal(expired.rqi.length > 0, true);
    });

    test('a notification goes over the AE connection and its response is awaited', async () => {
      const events: NotificationEvent[] = [];
      reg.on('notification', (e) => events.push(e));
      const listener = await connect({
        onRequest: (req) => ({ rsc: 2000, rqi: req.rqi, rvi: req.rvi ?? '3' }),
      });
      const aei = await register(listener, `lamp-${s}`);
      const writer = await connect();
      const writerId = await register(writer, `switch-${s}`);
      const cmd = `cse-in/lamp-${s}/command`;
      assert.equal(
        (await listener.request(create(`cse-in/lamp-${s}`, aei, 3, 'cnt', { rn: 'command' }))).rsc,
        2001,
      );
      const sub = await listener.request(
        create(cmd, aei, 23, 'sub', { rn: 'sub', nu: [aei], enc: { net: [3] } }),
      );
      assert.equal(sub.rsc, 2001);
      assert.equal((await writer.request(create(cmd, writerId, 4, 'cin', { con: 'on' }))).rsc, 2001);
      const notify = await listener.nextRequest((r) => r.op === 5);
      assert.equal(notify.fr, '/id-in');
      assert.equal(notify.to, aei);
      const sgn = notify.pc?.['m2m:sgn'] as {
        nev: { net: number; rep: Record<string, { con: unknown }> };
        sur: string;
      };
      assert.equal(sgn.nev.net, 3);
      assert.equal(sgn.nev.rep['m2m:cin']?.con, 'on');
      assert.equal(sgn.sur, `/id-in/${String(body(sub, 'sub').ri)}`);
      await reg.cse.idle();
      const ev = events.find((e) => e.request.rqi === notify.rqi);
      assert.equal(ev?.delivery.outcome, 'delivered');
      assert.equal(ev.delivery.response?.rsc, 2000);
      assert.equal(ev.delivery.response.rqi, notify.rqi);
    });

    test('a notification for a disconnected AE is kept and delivered after it reconnects', async () => {
      const first = await connect();
      const aei = await register(first, `away-${s}`);
      const base = `cse-in/away-${s}`;
      await first.request(create(base, aei, 3, 'cnt', { rn: 'cmd' }));
      await first.request(create(`${base}/cmd`, aei, 23, 'sub', { nu: [aei], enc: { net: [3] } }));
      await first.close();
      const writer = await connect();
      const w = await register(writer, `keeper-${s}`);
      assert.equal((await writer.request(create(`${base}/cmd`, w, 4, 'cin', { con: 'later' }))).rsc, 2001);
      await reg.cse.idle();
      assert.equal(reg.pendingNotifications(aei), 1);
      const late = new Promise<NotificationEvent>((resolve) => {
        reg.on('notification', (e) => {
          if (e.late === true && e.target === aei) resolve(e);
        });
      });
      const again = await connect();
      // Closing did not deregister (TS-0020): the AE just speaks again with its AE-ID.
      assert.equal((await again.request(retrieve(base, aei))).rsc, 2000);
      const notify = await again.nextRequest((r) => r.op === 5);
      const rep = (notify.pc?.['m2m:sgn'] as { nev: { rep: Record<string, { con: unknown }> } }).nev.rep;
      assert.equal(rep['m2m:cin']?.con, 'later');
      const ev = await late;
      assert.equal(ev.delivery.outcome, 'delivered');
      assert.equal(reg.pendingNotifications(aei), 0);
    });

    test('garbage frames do not stop it serving others', async () => {
      const good = await connect();
      const aei = await register(good, `good-${s}`);
      const bad = await connect();
      // A broken message whose rqi can be recovered is answered 4000 with that rqi.
      if (s === 'cbor') bad.sendRaw(cborCodec.encode({ op: 99, to: 'x', rqi: 'g1' } as never), true);
      else if (s === 'json') bad.sendRaw('{"op":1,"rqi":"g1","to":', false);
      else
        bad.sendRaw(
          '<m2m:rqp xmlns:m2m="http://www.onem2m.org/xml/protocols"><op>99</op><to>x</to><rqi>g1</rqi></m2m:rqp>',
          false,
        );
      const answered = await bad.waitFor(
        () => bad.received.find((r) => r.primitive?.rqi === 'g1'),
        5000,
        '4000',
      );
      assert.equal((answered.primitive as { rsc: number }).rsc, 4000);
      // Without a recoverable rqi, only that connection is closed (1007).
      bad.sendRaw(s === 'cbor' ? new Uint8Array([0xff, 0x00, 0x13]) : 'not a primitive <', s === 'cbor');
      const closed = await bad.closed;
      assert.equal(closed.code, 1007);
      assert.equal((await good.request(retrieve(`cse-in/good-${s}`, aei))).rsc, 2000);
    });

    test('a hostile frame (lying CBOR length, deep nesting) closes only its connection, at once', async () => {
      const good = await connect();
      const aei = await register(good, `calm-${s}`);
      const bad = await connect();
      // Issue 12: the CBOR bytes froze cbor-extract 2.2.2's native decoder at 100 % CPU.
      if (s === 'cbor') bad.sendRaw(Buffer.from('6307d131636961335afffffffb', 'hex'), true);
      else if (s === 'json') bad.sendRaw('['.repeat(200_000) + ']'.repeat(200_000), false);
      else bad.sendRaw('<a>'.repeat(50_000), false);
      assert.equal((await bad.closed).code, 1007);
      assert.equal((await good.request(retrieve(`cse-in/calm-${s}`, aei))).rsc, 2000);
    });

    if (s === 'cbor')
      test('a JSON text frame on a CBOR link is read as JSON (liberal)', async () => {
        const c = await connect();
        const rsp = await new Promise<unknown>((resolve) => {
          c.ws.once('message', (d) => {
            resolve(cborCodec.decode(new Uint8Array(d as Buffer)));
          });
          c.sendRaw(jsonCodec.encode({ op: 2, to: 'cse-in', fr: 'Cnobody', rqi: 'j1', rvi: '3' }), false);
        });
        assert.deepEqual([(rsp as { rsc: number }).rsc, (rsp as { rqi: string }).rqi], [4103, 'j1']);
      });
  });
}

describe('server', () => {
  test('plain HTTP gets 426; a busy port is a named error', async () => {
    const reg = await startRegistrar();
    try {
      const http = await fetch(reg.url.replace('ws://', 'http://'));
      assert.equal(http.status, 426);
      await http.text();
      await assert.rejects(startRegistrar({ port: reg.port }), (err: unknown) => {
        assert.equal((err as { code?: string }).code, 'REGISTRAR_START_FAILED');
        return true;
      });
    } finally {
      await reg.close();
    }
  });

  test('wss:// with a certificate and key, and mutual TLS', { skip: opensslSkip() }, async () => {
    const pki = makeTestPki();
    const tls = { cert: pki.serverCert, key: pki.serverKey };
    const reg = await startRegistrar({ tls });
    const mutual = await startRegistrar({ tls: { ...tls, ca: pki.ca, requestCert: true } });
    try {
      assert.match(reg.url, /^wss:\/\/127\.0\.0\.1:\d+\/$/);
      const c = await PlainClient.connect(reg.url, { protocols: 'oneM2M.cbor', ca: pki.ca });
      const aei = await register(c, 'secure');
      assert.equal((await c.request(retrieve('cse-in/secure', aei))).rsc, 2000);
      await c.close();
      // Mutual TLS (TS-0003 security association): no client certificate, no connection.
      await assert.rejects(PlainClient.connect(mutual.url, { protocols: 'oneM2M.json', ca: pki.ca }));
      const m = await PlainClient.connect(mutual.url, {
        protocols: 'oneM2M.json',
        ca: pki.ca,
        cert: pki.clientCert,
        key: pki.clientKey,
      });
      assert.equal(m.protocol, 'oneM2M.json');
      await m.close();
    } finally {
      await reg.close();
      await mutual.close();
    }
  });
});

function opensslSkip(): string | false {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'openssl is not installed: cannot make a test certificate';
  }
}
