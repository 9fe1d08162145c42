import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, tempDir, waitFor, type Harness } from '../helpers/agent-harness.js';
import { agentVersion } from '../../src/config/schemas.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest } from '../../src/protocol/primitive.js';
import { readBattery, readBoardFacts, readMemory } from '../../src/agent/board-info.js';

/** A fake `/` with a Raspberry Pi's device tree, os-release, meminfo and optionally a battery. */
function fakeBoard(o: { memAvailableKb?: number; battery?: boolean } = {}): string {
  const root = tempDir('m2m-board-');
  const put = (path: string, text: string): void => {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  put('proc/device-tree/model', 'Raspberry Pi 4 Model B Rev 1.4\0');
  put('etc/os-release', 'NAME="Debian GNU/Linux"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\n');
  put(
    'proc/meminfo',
    `MemTotal:        1000000 kB\nMemFree:          1000 kB\nMemAvailable:     ${o.memAvailableKb ?? 400000} kB\n`,
  );
  mkdirSync(join(root, 'sys/class/power_supply/AC'), { recursive: true });
  put('sys/class/power_supply/AC/type', 'Mains\n');
  if (o.battery) {
    put('sys/class/power_supply/BAT0/type', 'Battery\n');
    put('sys/class/power_supply/BAT0/capacity', '87\n');
    put('sys/class/power_supply/BAT0/status', 'Charging\n');
  }
  return root;
}

test('board facts: device-tree model, os-release and kernel, meminfo in bytes, the battery only where there is one', async () => {
  const withBattery = fakeBoard({ battery: true });
  const without = fakeBoard();
  try {
    const facts = await readBoardFacts(withBattery, '6.6.31-v8+');
    assert.deepEqual(facts, {
      model: 'Raspberry Pi 4 Model B Rev 1.4',
      manufacturer: 'Raspberry Pi Ltd',
      os: 'Debian GNU/Linux 12 (bookworm); Linux 6.6.31-v8+',
    });
    assert.deepEqual(await readMemory(withBattery), { available: 400000 * 1024, total: 1000000 * 1024 });
    assert.deepEqual(await readBattery(withBattery), { level: 87, status: 2 });
    assert.equal(await readBattery(without), undefined);
    // A board without device tree or DMI still describes itself.
    assert.equal((await readBoardFacts(join(without, 'nowhere'), 'k')).model, 'unknown');
  } finally {
    rmSync(withBattery, { recursive: true, force: true });
    rmSync(without, { recursive: true, force: true });
  }
});

function node(h: Harness, rest = ''): Readonly<Record<string, unknown>> | undefined {
  return h.registrar.cse.resource(`cse-in/e2e-gw-node${rest}`);
}

test('the gateway creates its <node> with deviceInfo, memory and battery, links it from its <AE> and publishes its health', async () => {
  const root = fakeBoard({ battery: true });
  const h = await startHarness({ start: { sysRoot: root } });
  try {
    await waitFor(() => node(h, '/battery') !== undefined, 'the battery mgmtObj');
    await waitFor(() => h.instances.some((e) => e.path.includes('/health/')), 'a health record');
    const nod = node(h);
    assert.equal(nod?.ni, 'e2e-gw');
    assert.equal(h.registrar.cse.resource('cse-in/e2e-gw')?.nl, nod?.ri, 'the <AE> links its node');
    const dvi = node(h, '/deviceInfo');
    assert.equal(dvi?.mgd, 1007);
    assert.equal(dvi?.mod, 'Raspberry Pi 4 Model B Rev 1.4');
    assert.equal(dvi?.swv, agentVersion());
    assert.match(String(dvi?.osv), /^Debian GNU\/Linux 12 \(bookworm\); Linux /);
    const mem = node(h, '/memory');
    assert.equal(mem?.mgd, 1003);
    assert.equal(mem?.mma, 400000 * 1024);
    assert.equal(mem?.mmt, 1000000 * 1024);
    assert.deepEqual([node(h, '/battery')?.btl, node(h, '/battery')?.bts], [87, 2]);
    const health = h.instances.find((e) => e.path.includes('/health/'));
    assert.equal(health?.resource.cnf, 'application/senml+json:0');
    const pack = JSON.parse(String(health?.resource.con)) as {
      bn?: string;
      n: string;
      v?: number;
      vs?: string;
    }[];
    assert.equal(pack[0]?.bn, 'e2e-gw:health:');
    assert.deepEqual(
      pack.map((r) => r.n),
      ['outboxDepth', 'outboxOldestAge', 'reconnects', 'sensorErrors', 'lastBoot', 'agentStart'],
    );
    // The ri of each is kept with the identity: a restart creates nothing again.
    const created: string[] = [];
    h.registrar.on('resource', (e) => {
      if (e.kind === 'created' && /e2e-gw-node/.test(e.path)) created.push(e.path);
    });
    const updates: string[] = [];
    h.registrar.on('resource', (e) => {
      if (e.kind === 'updated') updates.push(e.path);
    });
    await h.restart();
    await waitFor(
      () => updates.some((p) => p.endsWith('/deviceInfo')),
      'the deviceInfo UPDATE after the restart',
    );
    assert.deepEqual(created, []);
  } finally {
    await h.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('a <node> the registrar lost is created again, and the <AE> links the new one', async () => {
  const root = fakeBoard();
  const h = await startHarness({ start: { sysRoot: root } });
  try {
    await waitFor(() => node(h, '/memory') !== undefined, 'the memory mgmtObj');
    const first = node(h)?.ri;
    await h.agent.stop();
    const rsp = await h.registrar.cse.handle({
      op: Operation.Delete,
      to: 'cse-in/e2e-gw-node',
      fr: 'CAdmin',
      rqi: 'd1',
      rvi: '3',
    });
    assert.equal(rsp.rsc, 2002);
    assert.equal(node(h), undefined);
    await h.restart();
    await waitFor(
      () => node(h, '/memory') !== undefined && node(h, '/deviceInfo') !== undefined,
      'the mgmtObjs again',
    );
    assert.notEqual(node(h)?.ri, first);
    await waitFor(
      () => h.registrar.cse.resource('cse-in/e2e-gw')?.nl === node(h)?.ri,
      'nl names the new node',
    );
  } finally {
    await h.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('management.enabled false: no <node>, no health container', async () => {
  const root = fakeBoard();
  const h = await startHarness({ start: { sysRoot: root }, config: { management: { enabled: false } } });
  try {
    await waitFor(() => h.instances.filter((e) => e.path.includes('/counter/')).length >= 2, 'two readings');
    assert.equal(node(h), undefined);
    assert.equal(h.registrar.cse.resource('cse-in/e2e-gw/health'), undefined);
  } finally {
    await h.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('in the ASN role the <remoteCSE> links the node, the health container sits under it, rbo restarts', async () => {
  const root = fakeBoard();
  let restarts = 0;
  const h = await startHarness({
    start: {
      sysRoot: root,
      onRestartRequested: () => {
        restarts++;
      },
    },
    config: {
      node: { role: 'asn', name: 'barn-gw-1', cseId: '/id-barn-gw-1', appId: 'Nm2m-agent-test' },
      devices: [{ name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' }],
    },
  });
  try {
    const nodeOf = (rest = ''): Readonly<Record<string, unknown>> | undefined =>
      h.registrar.cse.resource(`cse-in/barn-gw-1-node${rest}`);
    await waitFor(
      () => nodeOf('/memory') !== undefined && nodeOf('/deviceInfo') !== undefined,
      'the mgmtObjs',
    );
    const csr = h.agent.registration.aePath;
    await waitFor(() => h.registrar.cse.resource(csr)?.nl === nodeOf()?.ri, 'the <remoteCSE> links its node');
    await waitFor(() => h.registrar.cse.resource(`${csr}/health/la`) !== undefined, 'a health record');
    // The registrar notifies our CSE-ID over the link, as it does an AE.
    await waitFor(
      () => nodeOf('/reboot/m2m-agent-reboot') !== undefined,
      'the subscription to the reboot object',
    );
    const rsp = await h.registrar.cse.handle({
      op: Operation.Update,
      to: 'cse-in/barn-gw-1-node/reboot',
      fr: 'CAdmin',
      rqi: 'u-asn',
      rvi: '3',
      pc: { 'm2m:rbo': { rbo: true } },
    });
    assert.equal(rsp.rsc, 2004);
    await waitFor(() => restarts === 1, 'the restart requested');
  } finally {
    await h.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('after registering again (the <AE> was deleted) the existing <node> is adopted, not duplicated, and linked', async () => {
  const root = fakeBoard();
  const h = await startHarness({ start: { sysRoot: root } });
  const nodeCreates: number[] = [];
  const nodeRqis = new Set<string>();
  h.registrar.on('primitive', (e) => {
    const p = e.primitive;
    if (e.direction === 'out' && 'rsc' in p && nodeRqis.has(p.rqi)) nodeCreates.push(p.rsc);
    if (e.direction === 'in' && isRequest(p) && p.op === Operation.Create && p.ty === ResourceType.Node)
      nodeRqis.add(p.rqi);
  });
  try {
    await waitFor(() => node(h, '/memory') !== undefined, 'the memory mgmtObj');
    const ri = node(h)?.ri;
    await h.agent.stop();
    const del = await h.registrar.cse.handle({
      op: Operation.Delete,
      to: 'cse-in/e2e-gw',
      fr: 'CAdmin',
      rqi: 'd',
      rvi: '3',
    });
    assert.equal(del.rsc, 2002);
    nodeCreates.length = 0;
    await h.restart();
    await waitFor(
      () => h.registrar.cse.resource('cse-in/e2e-gw')?.nl === ri,
      'the new <AE> links the same node',
    );
    assert.equal(node(h)?.ri, ri);
    assert.deepEqual(nodeCreates, [4105], 'the node was found, not created twice');
  } finally {
    await h.close();
    rmSync(root, { recursive: true, force: true });
  }
});

test('an UPDATE of the reboot object naming rbo restarts the agent; far is refused', async () => {
  const root = fakeBoard();
  let restarts = 0;
  const h = await startHarness({
    start: {
      sysRoot: root,
      onRestartRequested: () => {
        restarts++;
      },
    },
    recordLogs: true,
  });
  const operator = (attrs: Record<string, unknown>, rqi: string): Promise<{ rsc: number }> =>
    h.registrar.cse.handle({
      op: Operation.Update,
      to: 'cse-in/e2e-gw-node/reboot',
      fr: 'CAdmin',
      rqi,
      rvi: '3',
      pc: { 'm2m:rbo': attrs },
    });
  const logged = (code: string): boolean =>
    (h.logger as unknown as { lines: { fields: Record<string, unknown> }[] }).lines.some(
      (l) => l.fields.code === code,
    );
  try {
    await waitFor(
      () => h.registrar.cse.resource('cse-in/e2e-gw-node/reboot/m2m-agent-reboot') !== undefined,
      'the subscription to the reboot object',
    );
    assert.equal(node(h, '/reboot')?.mgd, 1009);
    // Other attributes of the reboot object do not restart anything.
    assert.equal((await operator({ lbl: ['barn 3'] }, 'u0')).rsc, 2004);
    assert.equal((await operator({ far: true }, 'u1')).rsc, 2004);
    await waitFor(() => logged('FACTORY_RESET_REFUSED'), 'the factory reset refused');
    assert.equal(restarts, 0);
    assert.equal((await operator({ rbo: true }, 'u2')).rsc, 2004);
    await waitFor(() => restarts === 1, 'the restart requested');
    assert.ok(logged('RESTART_REQUESTED'));
  } finally {
    await h.close();
    rmSync(root, { recursive: true, force: true });
  }
});
