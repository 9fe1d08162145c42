/**
 * SIGHUP reloads the configuration (devices, sample schedules) in place: the outbox on disk
 * carries over, a new device gets its container; an invalid file is refused with a log line and
 * the running configuration goes on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawConfig } from '../helpers/agent-harness.js';
import {
  FlakyRegistrar,
  recordValues,
  spawnRun,
  until,
  writeConfig,
  type RunChild,
} from '../helpers/cli-child.js';
import {
  notifyListenerSkipReason,
  startNotifyListener,
  type NotifyListener,
} from '../systemd/notify-listener.js';
import type { ResourceEvent } from '../../src/cse/events.js';
import { ResourceType } from '../../src/protocol/codes.js';

function outboxDepth(stateDir: string): number {
  try {
    const s = JSON.parse(readFileSync(join(stateDir, 'status.json'), 'utf8')) as {
      outbox: { depth: number };
    };
    return s.outbox.depth;
  } catch {
    return -1; // not written yet
  }
}

/** Notifications other than BARRIER=1 received so far (when a listener runs). */
function messages(listener: NotifyListener | undefined): string[] {
  return (listener?.queued ?? []).filter((m) => m !== 'BARRIER=1');
}

test('SIGHUP: a new device and schedule without losing the outbox; an invalid file is refused', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'm2m-'));
  const registrar = await FlakyRegistrar.start();
  const counter = recordValues(registrar.cse, 'counter');
  const extra = recordValues(registrar.cse, 'extra');
  const counterTimes = new Map<number, number>();
  const onResource = (e: ResourceEvent): void => {
    if (e.ty !== ResourceType.ContentInstance || !e.path.includes('/counter/')) return;
    const con = JSON.parse(String(e.resource['con'])) as { bt: number; v: number }[];
    if (con[0]) counterTimes.set(con[0].v, con[0].bt);
  };
  registrar.cse.events.on('resource', onResource);
  const socket = join(base, 'notify.sock');
  const listener = notifyListenerSkipReason() ? undefined : await startNotifyListener(socket);
  const runs: RunChild[] = [];
  t.after(async () => {
    for (const r of runs) await r.kill();
    listener?.close();
    registrar.cse.events.off('resource', onResource);
    await registrar.close();
    rmSync(base, { recursive: true, force: true });
  });
  const stateDir = join(base, 'state');
  const config = join(base, 'config.json');
  const counterDevice = { name: 'counter', model: 'sim', params: { waveform: 'counter' } };
  const raw = rawConfig(registrar.registrar, stateDir, {
    devices: [{ ...counterDevice, sample: '* * * * * *' }],
  });
  writeConfig(config, raw);
  const run = spawnRun(config, listener ? { env: { NOTIFY_SOCKET: socket } } : {});
  runs.push(run);
  await until(() => counter.values.length >= 2, 'counter readings delivered');

  // Link down, backlog on disk; then the reload.
  await registrar.down();
  await until(() => outboxDepth(stateDir) >= 2, 'a backlog in the outbox');
  writeConfig(config, {
    ...raw,
    devices: [
      { ...counterDevice, sample: '*/2 * * * * *' },
      { name: 'extra', model: 'sim', params: { waveform: 'counter', start: 1000 }, sample: '* * * * * *' },
    ],
  });
  run.child.kill('SIGHUP');
  const reload = await run.waitForLog((l) => l.msg === 'reloading the configuration', 'the reload');
  const reloadIndex = run.logs.indexOf(reload);
  await run.waitForLog(
    (l) => l.msg === 'device open' && l['device'] === 'counter' && run.logs.indexOf(l) > reloadIndex,
    'the counter to open again',
  );
  // The old configuration stopped before the new one started, so a reading stamped after the
  // test saw this line (the same machine clock) was taken on the new schedule. No file read
  // racing the old schedule's last sample decides it.
  const reopenedMs = Date.now();
  await run.waitForLog((l) => l.msg === 'device open' && l['device'] === 'extra', 'the new device to open');
  await registrar.up();
  await until(() => registrar.cse.resource('cse-in/e2e-gw/extra') !== undefined, 'the new device container');
  await until(() => extra.values.length >= 2, 'readings of the new device');
  assert.equal(extra.distinct()[0], 1000, 'the new device runs with its own params');
  const afterReload = (): number[] =>
    [...counterTimes.values()].filter((bt) => bt * 1000 >= reopenedMs).sort((a, b) => a - b);
  // The backlog taken before the reload reaches the registrar: the outbox survived.
  await until(() => afterReload().length >= 4, 'four counter readings taken after the reload', 30_000);
  const upTo = Math.max(...counter.values);
  assert.deepEqual(counter.missing(0, upTo), [], 'no counter reading lost across the reload');
  // The new schedule: the counter samples on even seconds. A reading is stamped when it is
  // taken, so on a loaded machine one may carry the next second; the old schedule would give
  // two odd seconds in any four.
  const seconds = afterReload().map((bt) => Math.floor(bt));
  assert.ok(seconds.filter((s) => s % 2 !== 0).length <= 1, `sampled on even seconds: ${seconds.join(',')}`);
  if (listener) {
    const seen = messages(listener);
    assert.deepEqual(
      seen.filter((m) => !m.startsWith('READY=1\nSTATUS=running')),
      ['RELOADING=1', 'READY=1\nSTATUS=reloaded'],
    );
  }

  // An invalid file: refused, logged with the problem, the agent goes on with what it runs.
  writeConfig(config, { ...raw, devices: [{ name: 'counter', model: 'no-such-model' }] });
  run.child.kill('SIGHUP');
  const refused = await run.waitForLog((l) => l.msg.startsWith('reload refused'), 'the refusal');
  assert.equal(refused.level, 'error');
  assert.ok(
    run.logs.some((l) => /problem/.test(l.msg) && JSON.stringify(l['issues']).includes('devices[0].model')),
    'the problem is logged with its key path',
  );
  const extraBefore = extra.values.length;
  await until(() => extra.values.length >= extraBefore + 2, 'readings go on after the refusal');
  assert.equal(run.child.exitCode, null, 'still running');
  if (listener) {
    assert.deepEqual(messages(listener).slice(-2), [
      'RELOADING=1',
      'READY=1\nSTATUS=reload refused: invalid configuration',
    ]);
  }

  run.child.kill('SIGTERM');
  assert.deepEqual(await run.waitExit(10_000), { code: 0, signal: null }, run.stderr());
});

test('SIGHUP with a configuration that validates but cannot start: back to the previous one', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'm2m-'));
  const registrar = await FlakyRegistrar.start();
  const counter = recordValues(registrar.cse, 'counter');
  const runs: RunChild[] = [];
  t.after(async () => {
    for (const r of runs) await r.kill();
    counter.stop();
    await registrar.close();
    rmSync(base, { recursive: true, force: true });
  });
  const config = join(base, 'config.json');
  const raw = rawConfig(registrar.registrar, join(base, 'state'), {
    devices: [{ name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' }],
  });
  writeConfig(config, raw);
  const run = spawnRun(config);
  runs.push(run);
  await until(() => counter.values.length >= 1, 'a delivered reading', 15_000, run);
  // A state directory below a regular file: valid JSON and schema, but mkdir fails (ENOTDIR).
  writeFileSync(join(base, 'not-a-dir'), '');
  writeConfig(config, { ...raw, stateDir: join(base, 'not-a-dir', 'state') });
  run.child.kill('SIGHUP');
  const failed = await run.waitForLog(
    (l) => l.msg.startsWith('reload failed; restarting'),
    'the failed reload',
  );
  assert.match(String(failed['error']), /ENOTDIR/);
  const seen = counter.values.length;
  await until(
    () => counter.values.length >= seen + 2,
    'readings go on with the previous configuration',
    15_000,
    run,
  );
  run.child.kill('SIGTERM');
  assert.deepEqual(await run.waitExit(10_000), { code: 0, signal: null }, run.stderr());
});
