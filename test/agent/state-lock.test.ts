/**
 * The state-directory lock: a second live agent is refused, while a file left behind by a dead
 * agent, an earlier boot or a reused PID (any live foreign process, even PID 1) never blocks a start.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  formatLockRecord,
  holderAlive,
  lockStateDir,
  procLockProbe,
  type LockProbe,
} from '../../src/agent/state-lock.js';
import { tempDir } from '../helpers/agent-harness.js';

const HOLDER = fileURLToPath(new URL('./fixtures/lock-holder.ts', import.meta.url));

/** A process that takes the lock for real and holds it; resolves once it has. */
async function lockHolder(dir: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => (err += b.toString()));
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (b: Buffer) => {
      if (b.toString().includes('locked')) resolve();
    });
    child.once('exit', (code) => {
      reject(new Error(`lock holder exited with ${code}: ${err}`));
    });
  });
  return child;
}

async function killed(child: ChildProcess): Promise<void> {
  const exit = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exit;
}

/** A live process that is not an agent (stands for whatever got the PID after a reboot). */
function foreignProcess(): ChildProcess {
  return spawn(process.execPath, ['-e', 'setInterval(() => {}, 60000)'], { stdio: 'ignore' });
}

test('a second live agent on the same state directory is refused; after its kill -9 a start succeeds', async (t) => {
  const dir = tempDir();
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const holder = await lockHolder(dir);
  t.after(() => holder.kill('SIGKILL'));
  await assert.rejects(lockStateDir(dir), (err: Error & { code?: string }) => {
    assert.equal(err.code, 'STATE_DIR_LOCKED');
    assert.ok(err.message.includes(`pid ${holder.pid}`), err.message);
    return true;
  });
  await killed(holder); // the lock file stays behind, as after a crash
  assert.ok(existsSync(join(dir, 'agent.pid')));
  const release = await lockStateDir(dir);
  assert.equal(readFileSync(join(dir, 'agent.pid'), 'utf8').split('\n')[0], String(process.pid));
  await release();
  assert.deepEqual(readdirSync(dir), [], 'release removes the lock and leaves nothing behind');
});

test('a pid file naming a live foreign process (PID 1, any non-agent) does not block a start', async (t) => {
  const dir = tempDir();
  const other = foreignProcess();
  t.after(() => {
    other.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  // The format written before the boot-aware lock (a bare PID), as a power cut leaves it.
  for (const pid of [1, other.pid!]) {
    writeFileSync(join(dir, 'agent.pid'), `${pid}\n`);
    const release = await lockStateDir(dir);
    await release();
  }
});

test('a record from an earlier boot, or whose PID was reused, is stale', async (t) => {
  const dir = tempDir();
  const other = foreignProcess();
  t.after(() => {
    other.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const pid = other.pid!;
  const startTicks = procLockProbe.startTicks(pid);
  assert.ok(startTicks !== undefined);
  const bootId = procLockProbe.bootId();
  const records = [
    { pid, startTicks, bootId: 'an-earlier-boot' },
    { pid, startTicks: String(Number(startTicks) - 7), ...(bootId === undefined ? {} : { bootId }) },
  ];
  for (const record of records) {
    writeFileSync(join(dir, 'agent.pid'), formatLockRecord(record));
    const release = await lockStateDir(dir);
    await release();
  }
  // The same process recorded exactly: held.
  writeFileSync(join(dir, 'agent.pid'), formatLockRecord({ pid, startTicks, ...(bootId ? { bootId } : {}) }));
  await assert.rejects(lockStateDir(dir), { code: 'STATE_DIR_LOCKED' });
});

test('a holder hidden by ProtectProc=invisible is stale only when it would be visible (same uid)', () => {
  const hidden: LockProbe = {
    startTicks: () => undefined,
    bootId: () => undefined,
    exists: () => true, // kill(pid, 0) gives EPERM: some other user's process
    cmdline: () => undefined,
    pid: 100,
    uid: 998,
  };
  assert.equal(holderAlive({ pid: 1, startTicks: '42', uid: 998 }, hidden), false);
  assert.equal(holderAlive({ pid: 1, startTicks: '42', uid: 0 }, hidden), true);
  assert.equal(holderAlive({ pid: 1 }, hidden), false, 'a bare PID we cannot see is not an agent of ours');
  const visibleAgent: LockProbe = {
    ...hidden,
    cmdline: () => 'node /opt/m2m-agent/dist/src/cli/main.js run ',
  };
  assert.equal(holderAlive({ pid: 1 }, visibleAgent), true, 'an older agent still running is respected');
  assert.equal(holderAlive({ pid: 1 }, { ...hidden, exists: () => false }), false);
});

test('release does not remove a lock another process took over', async (t) => {
  const dir = tempDir();
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const release = await lockStateDir(dir);
  writeFileSync(join(dir, 'agent.pid'), formatLockRecord({ pid: 424242 }));
  await release();
  assert.ok(existsSync(join(dir, 'agent.pid')));
});
