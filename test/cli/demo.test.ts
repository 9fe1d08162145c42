/**
 * `m2m-agent demo`: no configuration, no hardware; within a few seconds it prints readings as
 * they arrive at its development registrar and the simulated switch turning on by notification.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { CLI_MAIN, NODE_LOADER, PACKAGE_DIR } from '../helpers/cli-child.js';

test('demo --duration 6 prints readings and the switch turning on, then exits 0', async () => {
  const env = { ...process.env };
  delete env.M2M_AGENT_CONFIG;
  const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [...NODE_LOADER, CLI_MAIN, 'demo', '--duration', '6'],
      { cwd: PACKAGE_DIR, env, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.split('\n');
  assert.match(
    lines[0] ?? '',
    /^development registrar ws:\/\/127\.0\.0\.1:\d+\/ \(CSE-ID \/id-in, CSEBase cse-in\)/,
  );
  // Reading lines: device, value, sampling time, subprotocol, bytes on the wire.
  const reading = /^(\S+)\s+(.+?)\s+(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)\s+(oneM2M\.\w+)\s+(\d+)$/;
  const readings = lines.map((l) => reading.exec(l)).filter((m): m is RegExpExecArray => m !== null);
  const counters = readings.filter((m) => m[1] === 'counter');
  assert.ok(counters.length >= 2, `counter readings in:\n${r.stdout}`);
  assert.deepEqual(
    counters.map((m) => Number(m[2])),
    counters.map((_, i) => i),
    'the counter counts from 0',
  );
  assert.ok(readings.some((m) => m[1] === 'temperature' && / Cel$/.test(m[2] ?? '')));
  assert.ok(readings.every((m) => m[4] === 'oneM2M.cbor' && Number(m[5]) > 0));

  // The notification round trip: command written, NOTIFY answered, the switch's new state read.
  const cmd = lines.findIndex((l) => l.startsWith('>>> command "on" written to demo-gw/switch/command'));
  assert.ok(cmd >= 0, `the command line in:\n${r.stdout}`);
  const notify = lines.findIndex(
    (l, i) => i > cmd && /^>>> NOTIFY \S+ to Cdemo-gw over its link: answered 2000 OK$/.test(l),
  );
  assert.ok(notify > cmd, 'the NOTIFY answered 2000');
  const on = lines.findIndex((l, i) => i > cmd && /^switch\s+1\s/.test(l));
  assert.ok(on > cmd, 'the switch reported 1 after the command');
  assert.ok(
    lines.some((l, i) => i < cmd && /^switch\s+0\s/.test(l)),
    'and 0 before it',
  );

  assert.match(r.stdout, /outbox: \d+ still waiting, 0 quarantined; link reconnects: 0/);
});
