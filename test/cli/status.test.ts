/**
 * `m2m-agent status` reads the status file a running agent writes: `--json` carries the fields
 * design.md promises ("Names everyone relies on"), the human form one line per part.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN, NODE_LOADER, PACKAGE_DIR } from '../helpers/cli-child.js';
import { rawConfig, startHarness, waitFor } from '../helpers/agent-harness.js';
import { readStatus, type StatusSnapshot } from '../../src/agent/status.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[]): Promise<Result> {
  const env = { ...process.env };
  delete env.M2M_AGENT_CONFIG;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...NODE_LOADER, CLI_MAIN, ...args],
      { cwd: PACKAGE_DIR, env, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

test('status --json shows identity, link, outbox and devices of the running agent', async () => {
  const h = await startHarness({ config: { serializations: ['cbor'] } });
  try {
    let written: StatusSnapshot | undefined;
    await waitFor(() => h.instances.filter((e) => e.path.includes('/counter/')).length >= 2, 'two readings');
    // The agent writes the file at most once a second; wait for one that shows the link up.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      written = await readStatus(h.stateDir);
      if (written?.link.state === 'up' && written.devices.counter?.lastReading) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await cli(['status', '--json', '--state-dir', h.stateDir]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as StatusSnapshot;
    assert.equal(r.stdout.trim().split('\n').length, 1, 'one JSON object on one line');

    assert.equal(s.identity.aeId, 'Ce2e-gw');
    assert.equal(s.identity.name, 'e2e-gw');
    assert.equal(s.identity.role, 'adn');
    assert.match(s.identity.registrar, new RegExp(h.registrar.url));
    assert.equal(typeof s.identity.registeredAt, 'string');

    assert.equal(s.link.state, 'up');
    assert.equal(s.link.subprotocol, 'oneM2M.cbor');
    assert.ok(!Number.isNaN(Date.parse(s.link.since)), 'since is a timestamp');
    assert.equal(s.link.reconnects, 0);

    for (const k of ['depth', 'bytes', 'oldestAgeSeconds', 'evicted', 'expired', 'quarantined'] as const)
      assert.equal(typeof s.outbox[k], 'number', `outbox.${k}`);
    assert.equal(s.outbox.quarantined, 0);

    assert.deepEqual(Object.keys(s.devices).sort(), ['counter', 'switch']);
    const counter = s.devices.counter;
    assert.ok(counter?.lastReading, 'the counter has a last reading');
    assert.equal(typeof counter.lastReading.values.value, 'number');
    assert.ok(!Number.isNaN(Date.parse(counter.lastReading.time)));
    assert.equal(counter.errors, 0);
    assert.ok(counter.readings >= 1);
    assert.equal(s.devices.switch?.lastReading?.values.state, 0);
    assert.equal(s.pid, process.pid);

    // The human form, reading the state directory from a configuration file.
    const cfg = join(h.stateDir, 'config.json');
    writeFileSync(cfg, JSON.stringify(rawConfig(h.registrar, h.stateDir)));
    const human = await cli(['status', '-c', cfg]);
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^identity\s+Ce2e-gw\s+adn "e2e-gw"/m);
    assert.match(human.stdout, /^link\s+up \(oneM2M\.cbor\)/m);
    assert.match(human.stdout, /^outbox\s+\d+ waiting/m);
    assert.match(human.stdout, /^device\s+counter: \{"value":\d+\}/m);
    assert.match(human.stdout, /^device\s+switch: \{"state":0\}/m);
  } finally {
    await h.close();
  }
});

test('status without a status file exits 1 and says why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-cli-'));
  try {
    const r = await cli(['status', '--json', '--state-dir', dir]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /has not run yet/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
