/**
 * Registration against a scripted registrar (a fake connection): what is sent on a first start,
 * that a stored identity is never registered again, adoption of what exists already, and the
 * recovery decisions when the registrar refuses our AE-ID.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registration, type RegistrationDevice } from '../../src/agent/registration.js';
import { IdentityStore } from '../../src/agent/identity.js';
import type { Connection } from '../../src/binding/ws/types.js';
import { codecFor } from '../../src/codec/index.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/protocol/primitive.js';
import { systemClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';

type Script = (req: RequestPrimitive) => ResponsePrimitive | undefined;

/** A registrar that creates what it is asked to (2001), unless `script` answers first. */
function fakeRegistrar(script: Script = () => undefined) {
  const requests: RequestPrimitive[] = [];
  let answer: Script = script;
  const conn: Connection = {
    subprotocol: 'oneM2M.json',
    codec: codecFor('json'),
    serialization: 'json',
    inFlight: 0,
    isOpen: true,
    request: (req) => {
      requests.push(req);
      const scripted = answer(req);
      if (scripted) return Promise.resolve({ ...scripted, rqi: req.rqi });
      if (req.op === Operation.Create) {
        const body = Object.entries(req.pc ?? {})[0] as [string, { rn?: string }];
        const attrs: Record<string, unknown> = { ri: `ri-${body[1].rn ?? 'x'}` };
        if (req.ty === ResourceType.AE) attrs.aei = req.fr && req.fr !== 'C' ? req.fr : 'Cassigned';
        return Promise.resolve({ rsc: 2001, rqi: req.rqi, pc: { [body[0]]: attrs } });
      }
      if (req.to === 'cse-in/barn')
        return Promise.resolve({ rsc: 2000, rqi: req.rqi, pc: { 'm2m:ae': { aei: req.fr, ri: 'ri-ae' } } });
      const rn = req.to.split('/').pop() ?? '';
      return Promise.resolve({ rsc: 2000, rqi: req.rqi, pc: { 'm2m:cnt': { rn, ri: `existing-${rn}` } } });
    },
    close: () => Promise.resolve({ code: 1000, reason: '', local: true }),
    closed: new Promise(() => undefined),
  };
  return {
    conn,
    requests,
    script(s: Script) {
      answer = s;
      requests.length = 0;
    },
  };
}

const DEVICES: RegistrationDevice[] = [
  { name: 'temp', kind: 'sensor', container: { mni: 100, mbs: 10_000, mia: 3600 } },
  { name: 'fan', kind: 'actuator', container: {} },
];

function setup(o: { originator?: string; poa?: string[]; subscribe?: boolean; dir?: string } = {}) {
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'm2m-reg-'));
  const logger = memoryLogger();
  let n = 0;
  const reg = new Registration({
    registrarCseId: '/id-in',
    cseBase: 'cse-in',
    name: 'barn',
    appId: 'Nm2m-agent',
    ...(o.originator === undefined
      ? { originator: 'Cbarn' }
      : o.originator === ''
        ? {}
        : { originator: o.originator }),
    releaseVersion: '3',
    poa: o.poa ?? [],
    subscribe: o.subscribe ?? true,
    devices: DEVICES,
    store: new IdentityStore(dir),
    rqi: () => `q${++n}`,
    logger,
    requestTimeoutMs: 1000,
    // Pauses before re-registering pass at once.
    clock: { ...systemClock, setTimeout: (fn: () => void) => systemClock.setTimeout(fn, 0) },
  });
  const cleanup = (): void => {
    rmSync(dir, { recursive: true, force: true });
  };
  return { reg, dir, logger, cleanup };
}

const CSZ = ['application/json', 'application/cbor'];
const summary = (reqs: RequestPrimitive[]): string[] =>
  reqs.map(
    (r) =>
      `${r.op === Operation.Create ? `CREATE ty${r.ty}` : r.op === Operation.Retrieve ? 'RETRIEVE' : `op${r.op}`} ${r.to} fr=${r.fr ?? '-'}`,
  );

test('first start: <AE> with api, rr, srv, csz, poa; then containers, the command container and its subscription', async () => {
  const s = setup({ poa: ['ws://default'] });
  try {
    const r = fakeRegistrar();
    assert.equal(await s.reg.ensure(r.conn, CSZ), 'registered');
    assert.deepEqual(summary(r.requests), [
      'CREATE ty2 cse-in fr=Cbarn',
      'CREATE ty3 cse-in/barn fr=Cbarn',
      'CREATE ty3 cse-in/barn fr=Cbarn',
      'CREATE ty3 cse-in/barn/fan fr=Cbarn',
      'CREATE ty23 cse-in/barn/fan/command fr=Cbarn',
    ]);
    const [ae, temp, fan, cmd, sub] = r.requests;
    assert.deepEqual(ae?.pc, {
      'm2m:ae': { rn: 'barn', api: 'Nm2m-agent', rr: true, srv: ['3'], csz: CSZ, poa: ['ws://default'] },
    });
    assert.equal(ae.rvi, '3');
    assert.deepEqual(temp?.pc, { 'm2m:cnt': { rn: 'temp', mni: 100, mbs: 10_000, mia: 3600 } });
    assert.deepEqual(fan?.pc, { 'm2m:cnt': { rn: 'fan' } });
    assert.equal((cmd?.pc?.['m2m:cnt'] as { rn: string }).rn, 'command');
    const body = sub?.pc?.['m2m:sub'] as { nu: string[]; enc: { net: number[] } };
    assert.deepEqual(body.nu, ['Cbarn']);
    assert.deepEqual(body.enc.net, [3]);
    assert.equal(new Set(r.requests.map((x) => x.rqi)).size, 5, 'a fresh rqi each');

    const stored = await new IdentityStore(s.dir).load();
    assert.equal(stored?.aeId, 'Cbarn');
    assert.equal(stored.registrarCseId, '/id-in');
    assert.deepEqual(stored.resources, {
      temp: 'ri-temp',
      fan: 'ri-fan',
      'fan/command': 'ri-command',
      'fan/command/m2m-agent-sub': 'ri-m2m-agent-sub',
    });
  } finally {
    s.cleanup();
  }
});

test('a restart with the stored identity sends nothing; no <AE> CREATE ever again', async () => {
  const s = setup();
  try {
    await s.reg.ensure(fakeRegistrar().conn, CSZ);
    const again = setup({ dir: s.dir });
    const r = fakeRegistrar();
    assert.equal(await again.reg.ensure(r.conn, CSZ), 'already-registered');
    assert.deepEqual(r.requests, []);
    assert.equal(again.reg.aeId, 'Cbarn');
  } finally {
    s.cleanup();
  }
});

test('without a subscription (Mobius: commands are polled) no <subscription> is created', async () => {
  const s = setup({ subscribe: false });
  try {
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    assert.equal(r.requests.filter((x) => x.ty === ResourceType.Subscription).length, 0);
  } finally {
    s.cleanup();
  }
});

test('an assigned AE-ID is used from then on; stopAfterRegistering leaves the resources for later', async () => {
  const s = setup({ originator: 'C' });
  try {
    const r = fakeRegistrar();
    assert.equal(await s.reg.ensure(r.conn, CSZ, () => true), 'registered');
    assert.deepEqual(summary(r.requests), ['CREATE ty2 cse-in fr=C']);
    assert.equal(s.reg.aeId, 'Cassigned');
    r.script(() => undefined);
    assert.equal(await s.reg.ensure(r.conn, CSZ), 'registered');
    assert.equal(r.requests.length, 4, 'the resources on the next connection');
    assert.ok(r.requests.every((x) => x.fr === 'Cassigned'));
  } finally {
    s.cleanup();
  }
});

test('no originator configured: the CREATE carries no fr and the registrar assigns one', async () => {
  const s = setup({ originator: '' });
  try {
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    assert.equal(r.requests[0]?.fr, undefined);
    assert.equal(s.reg.aeId, 'Cassigned');
  } finally {
    s.cleanup();
  }
});

test('4105 on a container we own adopts it; 4117 on our stem adopts the <AE> after a RETRIEVE shows it is ours', async () => {
  const s = setup();
  try {
    const r = fakeRegistrar((req) =>
      req.ty === ResourceType.AE
        ? { rsc: 4117, rqi: '' }
        : req.ty === ResourceType.Container
          ? { rsc: 4105, rqi: '' }
          : undefined,
    );
    assert.equal(await s.reg.ensure(r.conn, CSZ), 'registered');
    assert.deepEqual(summary(r.requests).slice(0, 2), [
      'CREATE ty2 cse-in fr=Cbarn',
      'RETRIEVE cse-in/barn fr=Cbarn',
    ]);
    assert.equal(s.reg.aeId, 'Cbarn');
    assert.equal(s.reg.current()?.ri, 'ri-ae');
    // The adopted container's resource id is asked for (notifications name resources by it).
    assert.ok(summary(r.requests).includes('RETRIEVE cse-in/barn/temp fr=Cbarn'));
    assert.equal(s.reg.current()?.resources.temp, 'existing-temp');
  } finally {
    s.cleanup();
  }
});

test('4117 for an <AE> that is not ours is a registration error naming the fix', async () => {
  const s = setup();
  try {
    const r = fakeRegistrar((req) =>
      req.ty === ResourceType.AE
        ? { rsc: 4117, rqi: '' }
        : req.op === Operation.Retrieve
          ? { rsc: 2000, rqi: '', pc: { 'm2m:ae': { aei: 'Cother' } } }
          : undefined,
    );
    await assert.rejects(s.reg.ensure(r.conn, CSZ), {
      code: 'REGISTRATION_REFUSED',
      hint: /choose another node\.name/,
    });
    assert.equal(s.reg.aeId, undefined);
  } finally {
    s.cleanup();
  }
});

test('recover: 4004 for our <AE> registers again with the stored stem and re-creates everything', async () => {
  const s = setup();
  try {
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    r.script((req) => (req.op === Operation.Retrieve ? { rsc: 4004, rqi: '' } : undefined));
    assert.equal(await s.reg.recover(r.conn, CSZ), 'reregistered');
    assert.deepEqual(summary(r.requests), [
      'RETRIEVE cse-in/barn fr=Cbarn',
      'CREATE ty2 cse-in fr=Cbarn',
      'CREATE ty3 cse-in/barn fr=Cbarn',
      'CREATE ty3 cse-in/barn fr=Cbarn',
      'CREATE ty3 cse-in/barn/fan fr=Cbarn',
      'CREATE ty23 cse-in/barn/fan/command fr=Cbarn',
    ]);
  } finally {
    s.cleanup();
  }
});

test('recover: 4103 for our <AE> offers the stem once; "already registered" changes nothing', async () => {
  const s = setup();
  try {
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    const before = s.reg.current();
    r.script((req) => (req.ty === ResourceType.AE ? { rsc: 4117, rqi: '' } : { rsc: 4103, rqi: '' }));
    assert.equal(await s.reg.recover(r.conn, CSZ), 'unchanged');
    assert.deepEqual(summary(r.requests), ['RETRIEVE cse-in/barn fr=Cbarn', 'CREATE ty2 cse-in fr=Cbarn']);
    assert.deepEqual(s.reg.current(), before);
    assert.ok(s.logger.lines.some((l) => /exists but the registrar refuses/.test(l.msg)));
  } finally {
    s.cleanup();
  }
});

test('recover: 4103 for our <AE> and the stem accepted again means it was gone: resources re-created', async () => {
  const s = setup();
  try {
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    r.script((req) => (req.op === Operation.Retrieve ? { rsc: 4103, rqi: '' } : undefined));
    assert.equal(await s.reg.recover(r.conn, CSZ), 'reregistered');
    assert.equal(r.requests.filter((x) => x.ty === ResourceType.AE).length, 1);
    assert.equal(r.requests.filter((x) => x.ty === ResourceType.Subscription).length, 1);
  } finally {
    s.cleanup();
  }
});

test('recover: our <AE> is there: missing resources are re-created (4105 adopted), no registration', async () => {
  const s = setup();
  try {
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    r.script((req) =>
      req.ty === ResourceType.Container &&
      req.to === 'cse-in/barn' &&
      (req.pc?.['m2m:cnt'] as { rn: string }).rn === 'fan'
        ? { rsc: 4105, rqi: '' }
        : undefined,
    );
    assert.equal(await s.reg.recover(r.conn, CSZ), 'resources');
    assert.equal(r.requests.filter((x) => x.ty === ResourceType.AE).length, 0);
    assert.equal(r.requests[0]?.op, Operation.Retrieve);
  } finally {
    s.cleanup();
  }
});

test('recover: an unclear answer (5000) changes nothing', async () => {
  const s = setup();
  try {
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    r.script(() => ({ rsc: 5000, rqi: '' }));
    assert.equal(await s.reg.recover(r.conn, CSZ), 'unchanged');
    assert.equal(r.requests.length, 1);
    assert.equal(s.reg.aeId, 'Cbarn');
  } finally {
    s.cleanup();
  }
});

test('recover: a failed re-registration keeps the old identity (retried later, nothing to spin on)', async () => {
  const s = setup();
  try {
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    r.script((req) => (req.op === Operation.Retrieve ? { rsc: 4004, rqi: '' } : { rsc: 5000, rqi: '' }));
    await assert.rejects(s.reg.recover(r.conn, CSZ), { code: 'REGISTRAR_FAILED', retryable: true });
    assert.equal(s.reg.aeId, 'Cbarn');
    assert.equal((await new IdentityStore(s.dir).load())?.aeId, 'Cbarn');
  } finally {
    s.cleanup();
  }
});

test('a stored identity for another registrar is ignored: registering anew', async () => {
  const s = setup();
  try {
    await new IdentityStore(s.dir).save({
      registrarCseId: '/id-other',
      name: 'barn',
      aeId: 'Cold',
      registeredAt: '',
      resources: {},
    });
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    assert.equal(r.requests[0]?.ty, ResourceType.AE);
    assert.equal(r.requests[0]?.fr, 'Cbarn');
    assert.ok(s.logger.lines.some((l) => /another registrar/.test(l.msg)));
  } finally {
    s.cleanup();
  }
});

test('the registrar decides the names: every path below the <AE> uses the rn it answered, kept across restarts', async () => {
  const s = setup();
  try {
    // A registrar that names everything itself (`<asked>-x`, the <AE> `barn-renamed`).
    const r = fakeRegistrar((req) => {
      if (req.op !== Operation.Create) return undefined;
      const [root, attrs] = Object.entries(req.pc ?? {})[0] as [string, { rn?: string }];
      const rn = req.ty === ResourceType.AE ? 'barn-renamed' : `${attrs.rn ?? ''}-x`;
      return {
        rsc: 2001,
        rqi: '',
        pc: { [root]: { rn, ri: `ri-${rn}`, ...(req.ty === ResourceType.AE ? { aei: 'Cbarn' } : {}) } },
      };
    });
    await s.reg.ensure(r.conn, CSZ);
    assert.deepEqual(summary(r.requests), [
      'CREATE ty2 cse-in fr=Cbarn',
      'CREATE ty3 cse-in/barn-renamed fr=Cbarn',
      'CREATE ty3 cse-in/barn-renamed fr=Cbarn',
      'CREATE ty3 cse-in/barn-renamed/fan-x fr=Cbarn',
      'CREATE ty23 cse-in/barn-renamed/fan-x/command-x fr=Cbarn',
    ]);
    assert.equal(s.reg.pathOf('temp'), 'cse-in/barn-renamed/temp-x');
    const again = setup({ dir: s.dir });
    await again.reg.load();
    assert.equal(again.reg.aePath, 'cse-in/barn-renamed');
    assert.equal(again.reg.pathOf('fan/command'), 'cse-in/barn-renamed/fan-x/command-x');
    assert.equal(again.reg.current()?.resources['fan/command/m2m-agent-sub'], 'ri-m2m-agent-sub-x');
  } finally {
    s.cleanup();
  }
});

test('refusals are classified: 5xxx is the registrar failing (retryable), 4004 of the CSEBase is retried', async () => {
  const s = setup();
  try {
    const failing = fakeRegistrar(() => ({ rsc: 5000, rqi: '', pc: { 'm2m:dbg': 'database down' } }));
    await assert.rejects(
      s.reg.ensure(failing.conn, CSZ),
      (err: Error & { code?: string; retryable?: boolean; hint?: string }) => {
        assert.equal(err.code, 'REGISTRAR_FAILED');
        assert.equal(err.retryable, true);
        assert.match(err.message, /database down/);
        assert.doesNotMatch(err.hint ?? '', /node\./);
        return true;
      },
    );
    const starting = fakeRegistrar(() => ({
      rsc: 4004,
      rqi: '',
      pc: { 'm2m:dbg': 'No resource with this ID: cse-in' },
    }));
    await assert.rejects(s.reg.ensure(starting.conn, CSZ), { code: 'REGISTRATION_REFUSED', retryable: true });
    const refused = fakeRegistrar(() => ({ rsc: 4000, rqi: '' }));
    await assert.rejects(s.reg.ensure(refused.conn, CSZ), { code: 'REGISTRATION_REFUSED', retryable: false });
  } finally {
    s.cleanup();
  }
});

test('recover: a registrar back but not ready yet (4004 on its CSEBase) is asked again shortly, once ready it works', async () => {
  const s = setup();
  try {
    const r = fakeRegistrar();
    await s.reg.ensure(r.conn, CSZ);
    let aeCreates = 0;
    r.script((req) => {
      if (req.op === Operation.Retrieve) return { rsc: 4004, rqi: '' };
      if (req.ty === ResourceType.AE && ++aeCreates === 1)
        return { rsc: 4004, rqi: '', pc: { 'm2m:dbg': 'No resource with this ID: cse-in' } };
      return undefined;
    });
    assert.equal(await s.reg.recover(r.conn, CSZ), 'reregistered');
    assert.equal(aeCreates, 2);
    assert.ok(
      s.logger.lines.some(
        (l) => l.msg === 'the registrar cannot take our registration yet; trying again shortly',
      ),
    );
  } finally {
    s.cleanup();
  }
});
