/**
 * The binding's `onRequest` handler the agent installs: what the registrar may ask of an ADN-AE
 * over the link. Untrusted originators get 4103 before anything is looked at; only NOTIFY is
 * served (4005 otherwise); a command notification is applied and answered 2000 with the same rqi.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInboundHandler } from '../../src/agent/inbound.js';
import { TrustPolicy } from '../../src/agent/trust.js';
import type { ActuatorCommand } from '../../src/drivers/types.js';
import { Operation, Rsc } from '../../src/protocol/codes.js';
import type { RequestPrimitive } from '../../src/protocol/primitive.js';
import { memoryLogger } from '../../src/util/log.js';

function handler(o: { actuators?: string[]; fail?: boolean } = {}) {
  const applied: [string, ActuatorCommand][] = [];
  const deleted: (string | undefined)[] = [];
  const logger = memoryLogger();
  const handle = createInboundHandler({
    trust: new TrustPolicy('/id-in', ['Cadmin']),
    actuators: o.actuators ?? ['fan'],
    resourceIdsOf: (device) =>
      device === 'fan' ? ['sub-fan-1', 'cnt-fan-cmd'] : device === 'lamp' ? ['sub-lamp-1'] : [],
    actuate: (device, cmd) => {
      if (o.fail) return Promise.reject(new Error('relay stuck'));
      applied.push([device, cmd]);
      return Promise.resolve();
    },
    logger,
    onSubscriptionDeleted: (d) => deleted.push(d),
  });
  return { handle, applied, deleted, logger };
}

function notify(fr: string | undefined, sgn: Record<string, unknown>, rqi = 'n-1'): RequestPrimitive {
  return {
    op: Operation.Notify,
    to: 'Cbarn',
    ...(fr === undefined ? {} : { fr }),
    rqi,
    rvi: '3',
    pc: { 'm2m:sgn': sgn },
  };
}

const command = (con: unknown, sur = '/id-in/sub-fan-1'): Record<string, unknown> => ({
  sur,
  nev: { net: 3, rep: { 'm2m:cin': { con, ri: 'cin1' } } },
});

test('a command notification from the registrar is applied and answered 2000 with the same rqi and rvi', async () => {
  const h = handler();
  const rsp = await h.handle(notify('/id-in', command('on'), 'n-42'));
  assert.deepEqual(rsp, { rsc: Rsc.OK, rqi: 'n-42', rvi: '3' });
  assert.deepEqual(h.applied, [['fan', true]]);
});

test('the liberal command forms all reach the actuator', async () => {
  const h = handler();
  const forms: [unknown, ActuatorCommand][] = [
    ['off', false],
    [1, 1],
    ['0', 0],
    [true, true],
    ['[{"n":"state","v":1}]', 1],
    [[{ vb: false }], false],
  ];
  for (const [con] of forms) assert.equal((await h.handle(notify('id-in', command(con)))).rsc, Rsc.OK);
  assert.deepEqual(
    h.applied.map(([, c]) => c),
    forms.map(([, c]) => c),
  );
});

test('an untrusted originator gets 4103 and nothing is applied, whatever it asks', async () => {
  const h = handler();
  for (const fr of ['Cmallory', undefined, '/id-in/cse-in']) {
    const rsp = await h.handle(notify(fr, command('on'), `x-${String(fr)}`));
    assert.equal(rsp.rsc, Rsc.ORIGINATOR_HAS_NO_PRIVILEGE);
    assert.equal(rsp.rqi, `x-${String(fr)}`);
    assert.match(String(rsp.pc?.['m2m:dbg']), /not trusted/);
  }
  const del = await h.handle({ op: Operation.Delete, to: 'Cbarn', fr: 'Cmallory', rqi: 'd', rvi: '3' });
  assert.equal(del.rsc, Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, 'trust is checked before the operation');
  assert.deepEqual(h.applied, []);
  assert.ok(h.logger.lines.some((l) => l.level === 'warn' && /untrusted/.test(l.msg)));
});

test('a configured trusted originator may command', async () => {
  const h = handler();
  assert.equal((await h.handle(notify('Cadmin', command('on')))).rsc, Rsc.OK);
  assert.deepEqual(h.applied, [['fan', true]]);
});

test('operations other than NOTIFY get 4005, never silence', async () => {
  const h = handler();
  for (const op of [Operation.Create, Operation.Retrieve, Operation.Update, Operation.Delete]) {
    const rsp = await h.handle({
      op,
      to: 'Cbarn/fan',
      fr: '/id-in',
      rqi: `op-${op}`,
      rvi: '3',
      ...(op === Operation.Retrieve || op === Operation.Delete ? {} : { pc: {} }),
    });
    assert.equal(rsp.rsc, Rsc.OPERATION_NOT_ALLOWED, `op ${op}`);
    assert.equal(rsp.rqi, `op-${op}`);
  }
  assert.deepEqual(h.applied, []);
});

test('verification requests and subscription deletions are acknowledged without actuating', async () => {
  const h = handler();
  assert.equal((await h.handle(notify('/id-in', { vrq: true, sur: '/id-in/sub-fan-1' }))).rsc, Rsc.OK);
  assert.equal((await h.handle(notify('/id-in', { sud: true, sur: '/id-in/sub-fan-1' }))).rsc, Rsc.OK);
  assert.deepEqual(h.deleted, ['fan']);
  assert.deepEqual(h.applied, []);
});

test('the actuator is found by subscription id or by path; an unknown subscription gets 4004', async () => {
  const h = handler({ actuators: ['fan', 'lamp'] });
  await h.handle(notify('/id-in', command('on', 'sub-lamp-1')));
  await h.handle(notify('/id-in', command('off', '/id-in/cse-in/barn/fan/command/m2m-agent-sub')));
  assert.deepEqual(h.applied, [
    ['lamp', true],
    ['fan', false],
  ]);
  const unknown = await h.handle(notify('/id-in', command('on', '/id-in/sub-other')));
  assert.equal(unknown.rsc, Rsc.NOT_FOUND);
  assert.equal(h.applied.length, 2);
});

test('bad notifications are answered with a reason: no sgn 4000, unreadable command 4102, failed actuator 5000', async () => {
  const h = handler();
  const noSgn = await h.handle({
    op: Operation.Notify,
    to: 'Cbarn',
    fr: '/id-in',
    rqi: 'a',
    rvi: '3',
    pc: {},
  });
  assert.equal(noSgn.rsc, Rsc.BAD_REQUEST);
  const garbage = await h.handle(notify('/id-in', command('maybe')));
  assert.equal(garbage.rsc, Rsc.CONTENTS_UNACCEPTABLE);
  assert.deepEqual(h.applied, []);
  const failing = handler({ fail: true });
  const rsp = await failing.handle(notify('/id-in', command('on')));
  assert.equal(rsp.rsc, Rsc.INTERNAL_SERVER_ERROR);
  assert.match(String(rsp.pc?.['m2m:dbg']), /relay stuck/);
});

test('a notification of something other than a contentInstance is acknowledged and ignored', async () => {
  const h = handler();
  const rsp = await h.handle(
    notify('/id-in', { sur: '/id-in/sub-fan-1', nev: { net: 1, rep: { 'm2m:cnt': { rn: 'command' } } } }),
  );
  assert.equal(rsp.rsc, Rsc.OK);
  assert.deepEqual(h.applied, []);
});

test('a config patch is taken only from the registrar or a trusted originator; others get 4103', async () => {
  const patches: unknown[] = [];
  const handle = createInboundHandler({
    trust: new TrustPolicy('/id-in', ['Cadmin']),
    actuators: [],
    resourceIdsOf: () => [],
    actuate: () => Promise.resolve(),
    logger: memoryLogger(),
    config: {
      subscriptionRi: () => 'sub-config',
      patch: (con) => patches.push(con),
      forget: () => undefined,
    },
  });
  const sgn = { sur: '/id-in/sub-config', nev: { net: 3, rep: { 'm2m:cin': { con: '{"schedule":[]}' } } } };
  const refused = await handle(notify('CIntruder', sgn));
  assert.equal(refused.rsc, Rsc.ORIGINATOR_HAS_NO_PRIVILEGE);
  assert.equal((await handle(notify('/id-in', sgn))).rsc, Rsc.OK);
  assert.equal((await handle(notify('Cadmin', sgn))).rsc, Rsc.OK);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(patches, ['{"schedule":[]}', '{"schedule":[]}']);
});
