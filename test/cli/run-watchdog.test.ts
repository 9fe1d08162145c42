/**
 * The watchdog of the real `run`: WATCHDOG=1 pings while the agent is healthy (a link that is down
 * is healthy), none while the state directory cannot be written (so systemd restarts the agent),
 * and again once it can. Root ignores file modes, so "unwritable" is a read-only bind mount in the
 * agent's own mount namespace, laid over the directory from outside with nsenter.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnRun, until, writeConfig, type RunChild } from '../helpers/cli-child.js';
import { notifyListenerSkipReason, startNotifyListener } from '../systemd/notify-listener.js';

/** Ping period 500 ms (half of WATCHDOG_USEC, sd_watchdog_enabled(3)). */
const WATCHDOG_USEC = '1000000';
const PERIOD_MS = 500;

function skipReason(): string | undefined {
  if (process.getuid?.() !== 0)
    return 'needs root (a read-only bind mount in a private mount namespace); CI runs as root';
  for (const tool of ['unshare', 'nsenter', 'mount']) {
    if (spawnSync(tool, ['--version']).error) return `${tool} is not installed (util-linux)`;
  }
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `cannot create a mount namespace here: ${probe.stderr.trim()}`;
  return notifyListenerSkipReason();
}

/** Runs `args` in the agent's mount namespace. */
function inAgentNamespace(pid: number, args: readonly string[]): void {
  const r = spawnSync('nsenter', ['--target', String(pid), '--mount', ...args], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')} failed: ${r.stderr}`);
}

/**
 * Lays a read-only bind mount of `dir` over itself, in the agent's namespace only. (Remounting
 * the directory's own mount read-only fails with EBUSY while the outbox segment is open for
 * writing; the overlay leaves open files alone, and a new file, as the watchdog's probe, gets EROFS.)
 */
function makeReadOnly(pid: number, dir: string): void {
  inAgentNamespace(pid, ['mount', '--bind', dir, dir]);
  inAgentNamespace(pid, ['mount', '-o', 'remount,bind,ro', dir]);
}

function makeWritable(pid: number, dir: string): void {
  inAgentNamespace(pid, ['umount', '--lazy', dir]);
}

test('watchdog pings stop while the state directory is unwritable and resume after', async (t) => {
  const skip = skipReason();
  if (skip) {
    t.skip(skip);
    return;
  }
  const base = mkdtempSync(join(tmpdir(), 'm2m-'));
  const socket = join(base, 'notify.sock');
  const listener = await startNotifyListener(socket);
  const runs: RunChild[] = [];
  t.after(async () => {
    for (const r of runs) await r.kill();
    listener.close();
    rmSync(base, { recursive: true, force: true });
  });
  const stateDir = join(base, 'state');
  mkdirSync(stateDir);
  const config = join(base, 'config.json');
  // A registrar nobody listens on: the link stays down, which must not stop the pings.
  writeConfig(config, {
    registrar: { url: 'ws://127.0.0.1:9/', cseId: '/id-in', cseName: 'cse-in' },
    node: { name: 'wd-gw', appId: 'Nm2m-agent-test', originator: 'Cwd-gw' },
    stateDir,
    buffer: { fsyncIntervalMs: 50 },
    link: { backoffFloorMs: 100, backoffCapMs: 1000 },
    devices: [{ name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' }],
  });
  // A private mount namespace: what is mounted there later is seen by the agent alone.
  const wrap = ['unshare', '--mount', '--propagation', 'private'];
  const run = spawnRun(config, { wrap, env: { NOTIFY_SOCKET: socket, WATCHDOG_USEC } });
  runs.push(run);
  const pings = (): number => listener.queued.filter((m) => m === 'WATCHDOG=1').length;

  await until(() => listener.queued.some((m) => m.startsWith('READY=1')), 'READY=1', 20_000, run);
  await until(() => pings() >= 3, 'pings while healthy (link down)', 10_000, run);
  assert.ok(
    run.logs.some((l) => l.msg === 'link backingOff'),
    'the link is down meanwhile',
  );

  makeReadOnly(run.pid, stateDir);
  await run.waitForLog(
    (l) => l.msg === 'watchdog ping withheld' && l['reason'] === 'unhealthy',
    'the watchdog to withhold pings',
    10_000,
  );
  assert.ok(run.logs.some((l) => l.msg === 'state directory is not writable'));
  // A ping already on its way when the check failed may still arrive; after that, silence.
  await new Promise((r) => setTimeout(r, PERIOD_MS));
  const before = pings();
  await new Promise((r) => setTimeout(r, 4 * PERIOD_MS));
  assert.equal(pings(), before, 'no WATCHDOG=1 while the state directory is read-only');
  assert.equal(run.child.exitCode, null, 'the agent itself keeps running (systemd decides)');

  makeWritable(run.pid, stateDir);
  await run.waitForLog((l) => l.msg === 'watchdog pings resumed', 'the pings to resume', 10_000);
  const resumed = pings();
  await until(() => pings() >= resumed + 2, 'pings after the directory is writable again', 10_000, run);

  run.child.kill('SIGTERM');
  assert.deepEqual(await run.waitExit(10_000), { code: 0, signal: null }, run.stderr());
  assert.ok(listener.queued.includes('STOPPING=1'));
});
