/**
 * `m2m-agent demo --role asn`: the agent hosts its own CSE; a user client retrieves the pull-only
 * temperature and switches the actuator through the registrar, and the switch's new state
 * arrives pushed. Runs the real CLI.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { CLI_MAIN, NODE_LOADER, PACKAGE_DIR } from '../helpers/cli-child.js';

test('demo --role asn shows routed retrieval and a routed command', async () => {
  const env = { ...process.env };
  delete env.M2M_AGENT_CONFIG;
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [...NODE_LOADER, CLI_MAIN, 'demo', '--role', 'asn', '--serialization', 'json', '--duration', '13'],
      { cwd: PACKAGE_DIR, env, timeout: 40_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.ok(
    lines.some((l) => l.startsWith('role asn: the agent hosts CSE /id-demo-gw')),
    r.stdout,
  );
  const retrieved = lines.findIndex((l) =>
    /^<<< user RETRIEVE \/id-demo-gw\/demo-gw\/demo-gw\/temperature\/la via the registrar: 2000 OK -?[\d.]+ Cel sampled /.test(
      l,
    ),
  );
  assert.ok(retrieved >= 0, `a routed RETRIEVE in:\n${r.stdout}`);
  const on = lines.findIndex((l) =>
    l.startsWith(
      '<<< user CREATE "on" in /id-demo-gw/demo-gw/demo-gw/switch/command via the registrar: 2001 CREATED',
    ),
  );
  assert.ok(on > retrieved, `the routed command in:\n${r.stdout}`);
  assert.ok(
    lines.some((l, i) => i > on - 2 && /^switch\s+1\s/.test(l)),
    'the new state, pushed',
  );
  // Pull only: no temperature reading reaches the registrar.
  assert.ok(!lines.some((l) => /^temperature\s/.test(l)), 'temperature is never pushed');
  assert.match(r.stdout, /outbox: \d+ still waiting, 0 quarantined; link reconnects: 0/);
});
