import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startRegistrar } from '../../src/cse/server.js';
import { connect as wsConnect } from '../../src/binding/ws/index.js';
import { Management } from '../../src/agent/management.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import { tempDir, waitFor } from '../helpers/agent-harness.js';

const MIB = 1024 * 1024;

function writeMeminfo(root: string, availableMiB: number): void {
  mkdirSync(join(root, 'proc'), { recursive: true });
  writeFileSync(
    join(root, 'proc/meminfo'),
    `MemTotal:        ${1000 * 1024} kB\nMemAvailable:     ${availableMiB * 1024} kB\n`,
  );
}

test('changing values are checked every updateSeconds and UPDATEd only when they changed enough', async () => {
  const root = tempDir('m2m-board-');
  writeMeminfo(root, 400);
  const registrar = await startRegistrar({ port: 0 });
  const conn = await wsConnect({ url: registrar.url, serializations: ['json'] });
  const ac = new AbortController();
  const clock = new ManualClock();
  const notes = new Map<string, string>();
  const health = { outboxDepth: 0, outboxOldestAgeSeconds: 0, reconnects: 0, sensorErrors: 0 };
  let seq = 0;
  let rounds = 0;
  const requests: { op: number; to: string }[] = [];
  const management = new Management({
    role: 'adn',
    cseBase: 'cse-in',
    name: 'gw',
    agentVersion: '9.9.9',
    releaseVersion: '3',
    updateMs: 900_000,
    aePath: () => 'cse-in/gw',
    aeId: () => 'Cgw',
    note: (k) => notes.get(k),
    setNote: (k, v) => {
      notes.set(k, v);
      return Promise.resolve();
    },
    health: () => ({ ...health, bootMs: 0, startMs: 0, nowMs: clock.nowMs() }),
    rqi: () => `r${++seq}`,
    clock,
    logger: silentLogger,
    requestTimeoutMs: 5000,
    root,
    onRound: () => {
      rounds++;
    },
  });
  const counted = {
    ...conn,
    isOpen: true,
    closed: conn.closed,
    request: (req: Parameters<typeof conn.request>[0], o?: Parameters<typeof conn.request>[1]) => {
      requests.push({ op: req.op, to: req.to });
      return conn.request(req, o);
    },
  } as typeof conn;
  const mma = (): unknown => registrar.cse.resource('cse-in/gw-node/memory')?.mma;
  let run: Promise<void> | undefined;
  try {
    const ae = await conn.request({
      op: Operation.Create,
      to: 'cse-in',
      fr: 'Cgw',
      rqi: 'ae',
      rvi: '3',
      ty: ResourceType.AE,
      pc: { 'm2m:ae': { rn: 'gw', api: 'Ntest', rr: true, srv: ['3'] } },
    });
    assert.equal(ae.rsc, 2001);
    run = management.run(counted, ac.signal);
    await waitFor(() => mma() === 400 * MIB, 'the memory mgmtObj with mma');
    await waitFor(() => registrar.cse.resource('cse-in/gw/health/la') !== undefined, 'a health record');
    // The first round has ended: its pause is pending on the manual clock.
    await waitFor(() => rounds === 1, 'the first round');
    const settled = requests.length;

    // 1 % of mmt and nothing else changed: the next round sends nothing at all.
    writeMeminfo(root, 390);
    clock.advance(900_000);
    await waitFor(() => rounds === 2, 'the second round');
    assert.equal(mma(), 400 * MIB);
    assert.deepEqual(requests.slice(settled), []);

    // 5 % of mmt: one UPDATE of the memory object; the health record changed too: one new instance.
    writeMeminfo(root, 350);
    health.outboxDepth = 7;
    clock.advance(900_000);
    await waitFor(() => mma() === 350 * MIB, 'the UPDATE of mma');
    await waitFor(() => rounds === 3, 'the third round');
    assert.deepEqual(
      requests.slice(settled).map((r) => `${r.op} ${r.to}`),
      [`${Operation.Update} cse-in/gw-node/memory`, `${Operation.Create} cse-in/gw/health`],
    );
  } finally {
    ac.abort();
    await run;
    await conn.close(1000);
    await registrar.close();
    rmSync(root, { recursive: true, force: true });
  }
});
