/**
 * `m2m-agent check`: every problem of a deliberately broken configuration (and of a broken device
 * file beside it) with its key path, exit 1; the shipped example passes, exit 0.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN, NODE_LOADER, PACKAGE_DIR } from '../helpers/cli-child.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const base = { ...process.env };
  delete base.M2M_AGENT_CONFIG;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...NODE_LOADER, CLI_MAIN, ...args],
      { cwd: PACKAGE_DIR, env: { ...base, ...env }, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

const BROKEN = 'test/fixtures/config-broken/config.json';

test('check reports every problem of a broken configuration with its key path, exit 1', async () => {
  const r = await cli(['check', '-c', BROKEN]);
  assert.equal(r.code, 1, r.stderr);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  assert.match(lines[0] ?? '', /config\.json: 13 problems$/);
  // One line per problem: "<path>: <message> (<hint>)"; the paths, in the order reported.
  const expected: [string, RegExp][] = [
    ['registrar.colour', /unknown key/],
    ['node.name', /missing required key/],
    ['serializations[1]', /"yaml" is not one of/],
    ['stateDir', /expected a string, got a number/],
    ['buffer.maxBytes', /expected an integer/],
    ['registrar.url', /not a WebSocket URL/],
    ['schedule[0]', /expected 7 fields/],
    ['devices[1].params.gpio', /pin 17 is already used by devices\[0\]/],
    ['devices[2].name', /"door" is already used by devices\[0\]/],
    ['devices[3].model', /unknown model "no-such-model"/],
    ['devices[4].sample', /"every minute"/],
  ];
  for (const [path, message] of expected) {
    const line = lines.find((l) => l.startsWith(`${path}: `));
    assert.ok(line, `a problem reported at ${path}`);
    assert.match(line, message);
  }
  // The broken device model beside the configuration, named by its file and key path.
  const model = lines.filter((l) => l.includes('devices/broken-model.json: '));
  assert.deepEqual(
    model.map((l) => l.split(': ')[1]),
    ['kind', 'container.mni'],
  );
  // The valid schedule entry is not reported.
  assert.equal(lines.filter((l) => l.startsWith('schedule[1]')).length, 0);
  assert.equal(lines.length, 1 + 13);
});

test('check passes on the shipped example configuration, exit 0', async () => {
  const r = await cli(['check', '-c', 'config/example.json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(
    r.stdout,
    /^config\/example\.json: OK \(adn "barn-gw-1" -> ws:\/\/127\.0\.0\.1:8080\/, 5 devices/,
  );
});

test('check reads M2M_AGENT_CONFIG when -c is not given', async () => {
  const r = await cli(['check'], { M2M_AGENT_CONFIG: BROKEN });
  assert.equal(r.code, 1);
  assert.match(r.stderr, /13 problems/);
});

test('check on a file that is missing or not JSON exits 1 and says why', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-cli-'));
  try {
    const bad = join(dir, 'config.json');
    writeFileSync(bad, '{ "registrar": ');
    const [missing, notJson] = await Promise.all([
      cli(['check', '-c', join(dir, 'nope.json')]),
      cli(['check', '-c', bad]),
    ]);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.json/);
    assert.equal(notJson.code, 1);
    assert.match(notJson.stderr, /config\.json/);
    assert.doesNotMatch(notJson.stderr + missing.stderr, /\n\s+at /, 'no stack trace');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('run and the other commands refuse a broken configuration with exit 1 before doing anything', async () => {
  const [run, status, deregister] = await Promise.all([
    cli(['run', '-c', BROKEN]),
    cli(['status', '-c', BROKEN]),
    cli(['deregister', '-c', BROKEN]),
  ]);
  assert.equal(run.code, 1);
  // run prints every problem with its key path too (and logs them as one JSON line).
  for (const path of ['registrar.colour', 'devices[1].params.gpio', 'devices[4].sample'])
    assert.match(run.stderr, new RegExp(`^${path.replace(/[[\].]/g, '\\$&')}: `, 'm'));
  assert.doesNotMatch(run.stdout, /agent running/);
  for (const r of [status, deregister]) {
    assert.equal(r.code, 1);
    assert.match(r.stderr, /13 problems.*m2m-agent check/s);
  }
});

test('cron: check and run refuse a 5-field sample, a reversed range and an oversized step alike', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-cli-'));
  try {
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        registrar: { url: 'ws://127.0.0.1:1/', cseId: '/id-in', cseName: 'cse-in' },
        node: { name: 'cron-gw', appId: 'Nm2m-agent' },
        stateDir: join(dir, 'state'),
        schedule: ['0 */70 * * * * *', '0 0 20-8 * * * *'],
        devices: [
          // Issue 12: this passed check, then the device never sampled ("device failed to start").
          { name: 'five', model: 'sim', params: { waveform: 'counter' }, sample: '*/5 * * * *' },
          { name: 'back', model: 'sim', params: { waveform: 'counter' }, sample: '0 0 5-2 * * *' },
          { name: 'step', model: 'sim', params: { waveform: 'counter' }, sample: '*/70 * * * * *' },
        ],
      }),
    );
    const [check, run] = await Promise.all([cli(['check', '-c', file]), cli(['run', '-c', file])]);
    const expected: [string, RegExp][] = [
      [
        'devices[0].sample',
        /expected 6 fields, seconds first: .* add the seconds, e\.g\. "0 \*\/5 \* \* \* \*"/,
      ],
      ['devices[1].sample', /field hour \(0-23\): range "5-2" is reversed/],
      ['devices[2].sample', /field second \(0-59\): step 70 in "\*\/70" is larger than the field/],
      ['schedule[0]', /field minute: step 70 in "\*\/70" is larger than the field/],
      ['schedule[1]', /field hour: range 20-8 is reversed/],
    ];
    assert.match(check.stderr, /config\.json: 5 problems$/m);
    for (const r of [check, run]) {
      assert.equal(r.code, 1, r.stderr);
      assert.equal(r.stderr.split('\n').filter((l) => /^(devices|schedule)\[/.test(l)).length, 5, r.stderr);
      for (const [path, message] of expected) {
        const line = r.stderr.split('\n').find((l) => l.startsWith(`${path}: `));
        assert.ok(line, `a problem reported at ${path}: ${r.stderr}`);
        assert.match(line, message);
      }
    }
    assert.doesNotMatch(run.stdout + run.stderr, /device failed to start|agent running/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
