/**
 * Registrar compatibility presets against the development registrar's imitations (design.md,
 * "Registrars in the field differ"): ACME (CBOR offered alone, `X-M2M-Origin`, a reconnect when
 * the AE-ID was assigned, `poa: ["ws://default"]`, one request in flight) and Mobius (legacy JSON
 * name first, commands by polling the command container's `la`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor, type Harness } from '../helpers/agent-harness.js';
import { connect as wsConnect } from '../../src/binding/ws/index.js';
import type { Connect, ConnectOptions } from '../../src/binding/ws/types.js';
import type { Registrar } from '../../src/cse/registrar.js';
import type { ConnectionInfo, PrimitiveEvent, QuirkEvent } from '../../src/cse/registrar-events.js';
import type { NotificationEvent } from '../../src/cse/events.js';
import { IdentityStore } from '../../src/agent/identity.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest, isResponse } from '../../src/protocol/primitive.js';

interface Observed {
  offers: ConnectOptions[];
  wire: PrimitiveEvent[];
  connections: ConnectionInfo[];
  quirks: QuirkEvent[];
  notifications: NotificationEvent[];
}

/** The real client, recording the handshake options; `firstDialDelayMs` holds the first dial back. */
function observe(firstDialDelayMs = 0): { o: Observed; connect: Connect; attach: (r: Registrar) => void } {
  const o: Observed = { offers: [], wire: [], connections: [], quirks: [], notifications: [] };
  return {
    o,
    connect: async (opts) => {
      o.offers.push(opts);
      if (o.offers.length === 1 && firstDialDelayMs > 0)
        await new Promise((r) => setTimeout(r, firstDialDelayMs));
      return wsConnect(opts);
    },
    attach: (r) => {
      r.on('primitive', (e) => o.wire.push(e));
      r.on('connection', (c) => o.connections.push(c));
      r.on('quirk', (q) => o.quirks.push(q));
      r.on('notification', (n) => o.notifications.push(n));
    },
  };
}

function registrarConfig(r: Registrar, compat: unknown): Record<string, unknown> {
  return { url: r.url, cseId: r.cse.cseId, cseName: r.cse.cseName, compat };
}

const twoSensors = [
  { name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' },
  { name: 'wave', model: 'sim', params: { waveform: 'sine' }, sample: '* * * * * *' },
  { name: 'switch', model: 'sim-switch' },
];

function switchStates(h: Harness): number[] {
  return h.instances
    .filter((e) => /^cse-in\/e2e-gw\/switch\/[^/]+$/.test(e.path))
    .map((e) => (JSON.parse(String(e.resource.con)) as { v: number }[])[0]?.v ?? NaN);
}

async function command(h: Harness, con: string): Promise<void> {
  const rsp = await h.registrar.cse.handle({
    op: Operation.Create,
    to: 'cse-in/e2e-gw/switch/command',
    fr: 'Cuser',
    rqi: `cmd-${con}-${h.instances.length}`,
    rvi: '3',
    ty: ResourceType.ContentInstance,
    pc: { 'm2m:cin': { con } },
  });
  assert.equal(rsp.rsc, 2001);
}

/** Largest number of the agent's requests the registrar had unanswered at once, per connection. */
function maxAgentRequestsInFlight(wire: readonly PrimitiveEvent[]): number {
  const open = new Map<string, Set<string>>();
  let max = 0;
  for (const e of wire) {
    const set = open.get(e.connectionId) ?? new Set<string>();
    open.set(e.connectionId, set);
    if (e.direction === 'in' && isRequest(e.primitive)) set.add(e.primitive.rqi);
    if (e.direction === 'out' && isResponse(e.primitive)) set.delete(e.primitive.rqi);
    max = Math.max(max, set.size);
  }
  return max;
}

test('acme: CBOR preferred ends up on oneM2M.cbor, offered alone, with X-M2M-Origin and a ws://default poa', async () => {
  const { o, connect, attach } = observe();
  const h = await startHarness({
    registrar: { imitate: 'acme' },
    config: (r) => {
      attach(r);
      return { registrar: registrarConfig(r, 'acme'), serializations: ['cbor', 'json'], devices: twoSensors };
    },
    start: { connect },
  });
  try {
    await waitFor(
      () => h.instances.filter((e) => e.path.includes('/counter/')).length >= 3,
      'three counter readings',
    );
    assert.deepEqual(o.offers[0]?.offer, ['oneM2M.cbor'], 'CBOR offered alone');
    assert.deepEqual(o.offers[0]?.headers, { 'X-M2M-Origin': 'Ce2e-gw' });
    assert.equal(o.connections.length, 1, 'the stem was announced: no reconnect needed');
    assert.equal(o.connections[0]?.subprotocol, 'oneM2M.cbor');
    assert.equal(o.connections[0]?.identifiedAs, 'Ce2e-gw');
    const ae = h.registrar.cse.registree('Ce2e-gw');
    assert.deepEqual(ae?.poa, ['ws://default']);
    assert.equal((ae?.csz as string[])[0], 'application/cbor');
    assert.equal(ae?.rr, true);
    assert.equal(o.quirks.length, 0, 'nothing was pipelined');

    // Notifications flow on the same connection (ACME needs the ws:// poa for that).
    await waitFor(() => switchStates(h).length >= 1, 'the initial switch state');
    await command(h, 'on');
    await waitFor(() => switchStates(h).at(-1) === 1, 'the switch on');
    const notify = o.notifications.find((n) => n.request.op === Operation.Notify);
    assert.equal(notify?.delivery.outcome, 'delivered');
    assert.equal(notify.delivery.response?.rsc, 2000);
  } finally {
    await h.close();
  }
});

test('acme: JSON preferred ends up on oneM2M.json', async () => {
  const { o, connect, attach } = observe();
  const h = await startHarness({
    registrar: { imitate: 'acme' },
    config: (r) => {
      attach(r);
      return { registrar: registrarConfig(r, 'acme'), serializations: ['json', 'cbor'] };
    },
    start: { connect },
  });
  try {
    await waitFor(() => h.instances.some((e) => e.path.includes('/counter/')), 'a counter reading');
    assert.deepEqual(o.offers[0]?.offer, ['oneM2M.json', 'oneM2M.cbor']);
    assert.equal(o.connections[0]?.subprotocol, 'oneM2M.json');
    assert.equal((h.registrar.cse.registree('Ce2e-gw')?.csz as string[])[0], 'application/json');
  } finally {
    await h.close();
  }
});

test('acme: with originator "C" it registers, then reconnects as the assigned AE-ID before anything else', async () => {
  const { o, connect, attach } = observe();
  const h = await startHarness({
    registrar: { imitate: 'acme' },
    config: (r) => {
      attach(r);
      return {
        registrar: registrarConfig(r, 'acme'),
        serializations: ['cbor', 'json'],
        node: { name: 'e2e-gw', appId: 'Nm2m-agent-test', originator: 'C' },
      };
    },
    start: { connect },
  });
  try {
    await waitFor(
      () => h.instances.filter((e) => e.path.includes('/counter/')).length >= 2,
      'two counter readings',
    );
    const aeId = h.agent.registration.aeId;
    assert.match(aeId ?? '', /^C[0-9a-f]+$/, 'an assigned AE-ID');
    assert.equal(o.connections.length, 2);
    assert.equal(o.connections[0]?.identifiedAs, undefined, 'no header before an AE-ID exists');
    assert.equal(o.offers[0]?.headers, undefined);
    assert.equal(o.connections[1]?.identifiedAs, aeId);
    assert.deepEqual(o.offers[1]?.headers, { 'X-M2M-Origin': aeId });
    assert.equal(o.connections[1]?.subprotocol, 'oneM2M.cbor');
    // The first connection carried the <AE> CREATE and nothing else.
    const first = o.wire.filter((e) => e.connectionId === o.connections[0]?.id && e.direction === 'in');
    assert.equal(first.length, 1);
    const reg = first[0]?.primitive;
    assert.ok(reg && isRequest(reg));
    assert.equal(reg.ty, ResourceType.AE);
    assert.equal(reg.fr, 'C');
    // Nothing was refused anywhere.
    const refused = o.wire.filter(
      (e) => e.direction === 'out' && isResponse(e.primitive) && e.primitive.rsc >= 4000,
    );
    assert.deepEqual(
      refused.map((e) => e.primitive.rqi),
      [],
    );
    assert.equal((await new IdentityStore(h.stateDir).load())?.aeId, aeId, 'the assigned AE-ID is stored');

    // A restart announces the stored AE-ID at once: one connection, no registration.
    await h.restart();
    const before = h.instances.length;
    await waitFor(() => h.instances.length > before + 1, 'readings after the restart');
    assert.equal(o.connections.length, 3);
    assert.equal(o.connections[2]?.identifiedAs, aeId);
    const aeCreates = o.wire.filter(
      (e) => e.direction === 'in' && isRequest(e.primitive) && e.primitive.ty === ResourceType.AE,
    );
    assert.equal(aeCreates.length, 1);
  } finally {
    await h.close();
  }
});

test('acme: never more than one request in flight, and every reading arrives', async () => {
  // The first dial waits, so a backlog builds up: the drain after connecting would pipeline it.
  const { o, connect, attach } = observe(2500);
  const h = await startHarness({
    registrar: { imitate: 'acme' },
    config: (r) => {
      attach(r);
      return { registrar: registrarConfig(r, 'acme'), serializations: ['cbor', 'json'], devices: twoSensors };
    },
    start: { connect },
  });
  try {
    // Two sensors sampled on the same tick, plus commands: plenty of chances to pipeline.
    await waitFor(() => switchStates(h).length >= 1, 'the initial switch state');
    await command(h, 'on');
    await command(h, 'off');
    // Both streams: a tick appends counter and wave in either order, so four of one does not
    // imply four of the other.
    await waitFor(
      () =>
        h.instances.filter((e) => e.path.includes('/wave/')).length >= 4 &&
        h.instances.filter((e) => e.path.includes('/counter/')).length >= 4,
      'four wave and four counter readings',
    );
    await h.agent.stop();
    const snap = h.agent.snapshot();
    const delivered = (device: string): number =>
      h.instances.filter((e) => new RegExp(`^cse-in/e2e-gw/${device}/[^/]+$`).test(e.path)).length;
    // Every reading taken and not still waiting in the outbox arrived; nothing was dropped.
    const taken = ['counter', 'wave', 'switch'].reduce((n, d) => n + (snap.devices[d]?.readings ?? 0), 0);
    assert.equal(delivered('counter') + delivered('wave') + delivered('switch') + snap.outbox.depth, taken);
    assert.equal(snap.outbox.quarantined, 0);
    assert.deepEqual(switchStates(h), [0, 1, 0]);
    assert.equal(maxAgentRequestsInFlight(o.wire), 1);
    // The counter counts up by one per sample: all of them arrived, none twice.
    const counts = h.instances
      .filter((e) => /^cse-in\/e2e-gw\/counter\/[^/]+$/.test(e.path))
      .map((e) => (JSON.parse(String(e.resource.con)) as { v: number }[])[0]?.v ?? NaN)
      .sort((a, b) => a - b);
    assert.ok(counts.length >= 4);
    assert.deepEqual(
      counts,
      counts.map((_, i) => (counts[0] ?? 0) + i),
    );
    assert.deepEqual(o.quirks, [], 'the imitation never had to drop a pipelined request');
  } finally {
    await h.close();
  }
});

test('mobius: legacy JSON name first, JSON frames, commands by polling la', async () => {
  const { o, connect, attach } = observe();
  const h = await startHarness({
    registrar: { imitate: 'mobius' },
    config: (r) => {
      attach(r);
      return { registrar: registrarConfig(r, { preset: 'mobius', pollCommandsSeconds: 1 }) };
    },
    start: { connect },
  });
  try {
    await waitFor(() => switchStates(h).length >= 1, 'the initial switch state');
    assert.equal(o.offers[0]?.offer?.[0], 'oneM2M.R2.0.json', 'the legacy name first');
    assert.equal(o.connections[0]?.subprotocol, 'oneM2M.R2.0.json');
    assert.equal(h.registrar.connections()[0]?.subprotocol, 'oneM2M.R2.0.json');
    assert.equal(
      h.registrar.cse.resource('cse-in/e2e-gw/switch/command/m2m-agent-sub'),
      undefined,
      'no subscription: Mobius cannot notify over the link',
    );
    // Mobius 2.4 answers 5000 to an <AE> carrying csz: the preset sends none.
    assert.equal(h.registrar.cse.registree('Ce2e-gw')?.csz, undefined);

    await command(h, 'on');
    await waitFor(() => switchStates(h).at(-1) === 1, 'the switch on, found by polling');
    await command(h, 'off');
    await waitFor(() => switchStates(h).at(-1) === 0, 'the switch off');
    const polls = o.wire.filter(
      (e) =>
        e.direction === 'in' &&
        isRequest(e.primitive) &&
        e.primitive.op === Operation.Retrieve &&
        e.primitive.to === 'cse-in/e2e-gw/switch/command/la',
    );
    assert.ok(polls.length >= 2);
    // No request ever went to the agent over its link.
    assert.equal(o.wire.filter((e) => e.direction === 'out' && isRequest(e.primitive)).length, 0);
    // Each command is applied once, however often la is polled afterwards.
    const n = switchStates(h).length;
    const pollsNow = polls.length;
    await waitFor(
      () =>
        o.wire.filter(
          (e) =>
            e.direction === 'in' &&
            isRequest(e.primitive) &&
            e.primitive.to === 'cse-in/e2e-gw/switch/command/la',
        ).length >=
        pollsNow + 2,
      'two more polls',
    );
    assert.equal(switchStates(h).length, n);
    assert.deepEqual(switchStates(h), [0, 1, 0]);
  } finally {
    await h.close();
  }
});

test('acme: a deleted <AE> is registered again on the same identified connection, commands work again', async () => {
  const { o, connect, attach } = observe();
  const h = await startHarness({
    registrar: { imitate: 'acme' },
    config: (r) => {
      attach(r);
      return { registrar: registrarConfig(r, 'acme'), serializations: ['cbor', 'json'] };
    },
    start: { connect },
  });
  try {
    await waitFor(() => switchStates(h).length >= 1, 'the initial switch state');
    const del = await h.registrar.cse.handle({
      op: Operation.Delete,
      to: 'cse-in/e2e-gw',
      fr: '/id-in',
      rqi: 'del',
      rvi: '3',
    });
    assert.equal(del.rsc, 2002);
    await waitFor(
      () => h.registrar.cse.resource('cse-in/e2e-gw/switch/command/m2m-agent-sub') !== undefined,
      'the subscription re-created',
      12_000,
    );
    const aeCreates = o.wire.filter(
      (e) => e.direction === 'in' && isRequest(e.primitive) && e.primitive.ty === ResourceType.AE,
    );
    assert.equal(aeCreates.length, 2);
    assert.equal(o.connections.length, 1, 'no reconnect needed: the stem did not change');
    assert.deepEqual(h.registrar.cse.registree('Ce2e-gw')?.poa, ['ws://default']);
    await command(h, 'on');
    await waitFor(() => switchStates(h).at(-1) === 1, 'the switch on after re-registration');
  } finally {
    await h.close();
  }
});
