/**
 * Remote configuration through the registrar (README "Managing a fleet"): an operator's
 * contentInstance in `<ae>/config` is a JSON merge patch; `m2m-agent run` validates it as `check`
 * does, applies it as SIGHUP does, stores it in stateDir/remote-config.json and reports the outcome
 * in `<ae>/config-status`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawConfig } from '../helpers/agent-harness.js';
import { spawnRun, until, writeConfig } from '../helpers/cli-child.js';
import { startRegistrar } from '../../src/cse/server.js';
import type { ResourceEvent } from '../../src/cse/events.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';

test('a patch through the registrar: applied and kept across restarts, or refused with its key paths', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'm2m-'));
  const registrar = await startRegistrar({ port: 0 });
  const config = join(base, 'config.json');
  const state = join(base, 'state');
  writeConfig(config, rawConfig(registrar, state));
  let run = spawnRun(config);
  t.after(async () => {
    await run.kill();
    await registrar.close();
    rmSync(base, { recursive: true, force: true });
  });
  // Counter readings: SenML base time (seconds) of each one the registrar receives.
  const times: number[] = [];
  registrar.cse.events.on('resource', (e: ResourceEvent) => {
    if (e.kind !== 'created' || e.ty !== ResourceType.ContentInstance || !e.path.includes('/counter/'))
      return;
    const con = e.resource['con'];
    const pack = (typeof con === 'string' ? JSON.parse(con) : con) as { bt?: number; t?: number }[];
    const bt = pack[0]?.bt ?? pack[0]?.t;
    if (typeof bt === 'number') times.push(bt);
  });
  // The newest outcome in config-status (undefined: none yet).
  const status = (): Record<string, unknown> | undefined => {
    const la = registrar.cse.resource('cse-in/e2e-gw/config-status/la');
    return la ? (JSON.parse(String(la['con'])) as Record<string, unknown>) : undefined;
  };
  let sent = 0;
  const send = async (patch: unknown): Promise<void> => {
    const rsp = await registrar.cse.handle({
      op: Operation.Create,
      to: 'cse-in/e2e-gw/config',
      fr: 'CAdmin',
      rqi: `patch-${++sent}`,
      rvi: '3',
      ty: ResourceType.ContentInstance,
      pc: { 'm2m:cin': { cnf: 'application/merge-patch+json:0', con: JSON.stringify(patch) } },
    });
    assert.equal(rsp.rsc, 2001, JSON.stringify(rsp.pc));
  };
  const latest = (): string => JSON.stringify(status() ?? {});
  await until(
    () =>
      registrar.cse.resource('cse-in/e2e-gw/config/m2m-agent-config') !== undefined &&
      registrar.cse.resource('cse-in/e2e-gw/config-status') !== undefined,
    'the config container, our subscription to it and config-status',
    20_000,
    run,
  );

  // A sampling change: readings follow the new rate (the sampler's cron: seconds divisible by 3).
  await send({ devices: { counter: { sample: '*/3 * * * * *' } } });
  await until(() => latest().includes('accepted'), 'the accepted status', 20_000, run);
  assert.deepEqual(status(), { status: 'accepted', revision: 1 });
  const from = Date.now() / 1000 + 1;
  await until(() => times.filter((s) => s > from).length >= 3, 'three readings at the new rate', 20_000, run);
  const after = times.filter((s) => s > from);
  assert.ok(
    after.every((s) => Math.round(s) % 3 === 0),
    `readings at ${after.join(', ')}`,
  );
  const file = join(state, 'remote-config.json');
  assert.equal(statSync(file).mode & 0o777, 0o640);
  assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), {
    revision: 1,
    patch: { devices: { counter: { sample: '*/3 * * * * *' } } },
  });

  // A bad value: refused with the key path check prints; the previous configuration keeps running.
  await send({ devices: { counter: { deadband: 'lots' } } });
  await until(() => latest().includes('refused'), 'the refused status', 20_000, run);
  const bad = status() as { status: string; issues: { path: string }[] };
  assert.deepEqual(
    bad.issues.map((i) => i.path),
    ['devices[0].deadband'],
  );
  // A connection setting: refused without management.remoteConfig.allowConnection.
  await send({ registrar: { url: 'ws://127.0.0.1:9/' } });
  await until(() => latest().includes('"registrar'), 'the connection patch refused', 20_000, run);
  const conn = status() as { status: string; issues: { path: string; message: string }[] };
  assert.equal(conn.status, 'refused');
  assert.deepEqual(
    conn.issues.map((i) => i.path),
    ['registrar'],
  );
  assert.equal((JSON.parse(readFileSync(file, 'utf8')) as { revision: number }).revision, 1);

  // Kept across a restart: the stored patch is merged over the file at start, and the outcome of
  // the last patch is published again (kept in the state directory).
  const lastOutcome = latest();
  const outcomes: string[] = [];
  registrar.cse.events.on('resource', (e: ResourceEvent) => {
    if (e.kind === 'created' && e.ty === ResourceType.ContentInstance && e.path.includes('/config-status/'))
      outcomes.push(String(e.resource['con']));
  });
  await run.kill();
  run = spawnRun(config, { args: ['--log-level', 'debug'] });
  await run.waitForLog((l) => l.msg === 'agent running', 'the restarted agent', 20_000);
  await until(() => outcomes.length > 0, 'the last outcome published again', 20_000, run);
  assert.deepEqual(JSON.parse(outcomes[0] ?? ''), JSON.parse(lastOutcome));
  const from2 = Date.now() / 1000 + 1;
  await until(() => times.filter((s) => s > from2).length >= 2, 'readings after the restart', 20_000, run);
  assert.ok(times.filter((s) => s > from2).every((s) => Math.round(s) % 3 === 0));
});
