/**
 * File modes are explicit, whatever the umask: run with umask 000 (the worst a hand-started agent
 * may inherit), the state directory is 0750 and the identity, outbox, status, device state and
 * metrics files are 0640. A wider existing state directory is tightened; one writable by every
 * user is refused at start (STATE_DIR_INSECURE).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startHarness, waitFor } from '../helpers/agent-harness.js';
import { prepareStateDir } from '../../src/agent/state-dir.js';
import { silentLogger } from '../../src/util/log.js';

const mode = (p: string): string => (statSync(p).mode & 0o777).toString(8);

/** Every file and directory below `dir` (temp files excluded), with its mode. */
function modes(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const name of readdirSync(dir, { recursive: true }) as string[]) out.set(name, mode(join(dir, name)));
  return out;
}

test('under umask 000 the state directory is 0750 and every file the agent writes 0640', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'm2m-modes-'));
  const old = process.umask(0o000);
  t.after(() => {
    process.umask(old);
    rmSync(root, { recursive: true, force: true });
  });
  const stateDir = join(root, 'state');
  const prom = join(root, 'metrics', 'm2m_agent.prom');
  mkdirSync(join(root, 'metrics'));
  const h = await startHarness({ config: { stateDir, metrics: { textfile: prom } } });
  try {
    await waitFor(() => h.instances.length >= 2, 'readings at the registrar');
    await waitFor(() => h.agent.registration.aeId !== undefined, 'registered');
  } finally {
    await h.close();
  }
  assert.equal(mode(stateDir), '750');
  const all = modes(stateDir);
  for (const name of ['identity.json', 'status.json', 'outbox']) assert.ok(all.has(name), `${name} written`);
  assert.ok(
    [...all.keys()].some((n) => n.startsWith('outbox/')),
    'outbox files written',
  );
  for (const [name, m] of all) {
    const isDir = statSync(join(stateDir, name)).isDirectory();
    assert.equal(m, isDir ? '750' : '640', `${name} is ${m}`);
  }
  assert.equal(mode(prom), '640', 'metrics: the group (node_exporter) reads it, others do not');
});

test('an existing state directory is tightened to 0750 at most; a world-writable one is refused', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'm2m-modes-'));
  t.after(() => {
    rmSync(root, { recursive: true, force: true });
  });
  const wide = join(root, 'wide');
  mkdirSync(wide);
  chmodSync(wide, 0o775);
  await prepareStateDir(wide, silentLogger);
  assert.equal(mode(wide), '750');
  const narrow = join(root, 'narrow');
  mkdirSync(narrow);
  chmodSync(narrow, 0o700);
  await prepareStateDir(narrow, silentLogger);
  assert.equal(mode(narrow), '700', 'never widened');
  const open = join(root, 'open');
  mkdirSync(open);
  chmodSync(open, 0o777);
  await assert.rejects(prepareStateDir(open, silentLogger), { code: 'STATE_DIR_INSECURE' });
  assert.equal(mode(open), '777', 'left as found, for the operator to inspect');
});
