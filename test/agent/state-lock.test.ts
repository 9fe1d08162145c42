import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { lockStateDir } from '../../src/agent/state-lock.js';
import { tempDir } from '../helpers/agent-harness.js';

test('a second agent on the same state directory is refused with STATE_DIR_LOCKED', async () => {
  const dir = tempDir();
  // Another live process holds the lock.
  const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
  try {
    writeFileSync(join(dir, 'agent.pid'), `${other.pid}\n`);
    await assert.rejects(lockStateDir(dir), { code: 'STATE_DIR_LOCKED' });
  } finally {
    other.kill();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a stale lock from a dead process is taken over, and release removes it', async () => {
  const dir = tempDir();
  try {
    const dead = spawn(process.execPath, ['-e', '']);
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(join(dir, 'agent.pid'), `${dead.pid}\n`);
    const release = await lockStateDir(dir);
    assert.ok(existsSync(join(dir, 'agent.pid')));
    await release();
    assert.ok(!existsSync(join(dir, 'agent.pid')));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
