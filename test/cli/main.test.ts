/**
 * The command line's contract: `--help` on every command, exit codes 0 ok / 1 bad configuration
 * or failed check / 2 usage error. Runs the real entry point in a child process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { CLI_MAIN, NODE_LOADER, PACKAGE_DIR } from '../helpers/cli-child.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...NODE_LOADER, CLI_MAIN, ...args],
      { cwd: PACKAGE_DIR, env: withoutConfigEnv(), timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function withoutConfigEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.M2M_AGENT_CONFIG;
  return env;
}

const COMMANDS = ['run', 'check', 'status', 'demo', 'registrar', 'deregister'] as const;

test('--help lists every command and exits 0', async () => {
  const r = await cli(['--help']);
  assert.equal(r.code, 0, r.stderr);
  for (const c of COMMANDS) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
});

test('no command prints the help and exits 2; an unknown command exits 2', async () => {
  const [none, unknown] = await Promise.all([cli([]), cli(['frobnicate'])]);
  assert.equal(none.code, 2);
  assert.match(none.stdout, /usage: m2m-agent <command>/);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /unknown command "frobnicate"/);
});

for (const c of COMMANDS) {
  test(`${c} --help shows its usage and options and exits 0`, async () => {
    const r = await cli([c, '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`^usage: m2m-agent ${c}`));
    assert.match(r.stdout, /-h, --help/);
    if (c !== 'demo' && c !== 'registrar') assert.match(r.stdout, /-c, --config VALUE/);
  });
}

test('an unknown option, a missing value or a bad value is a usage error (exit 2)', async () => {
  const results = await Promise.all([
    cli(['check', '--frobnicate']),
    cli(['status', '-c']),
    cli(['demo', '--serialization', 'yaml']),
    cli(['run', '--log-level', 'loud', '-c', 'config/example.json']),
  ]);
  const [unknownOpt, missingValue, badSer, badLevel] = results;
  assert.equal(unknownOpt?.code, 2);
  assert.match(unknownOpt?.stderr ?? '', /unknown option --frobnicate/);
  assert.match(unknownOpt?.stderr ?? '', /usage: m2m-agent check/);
  assert.equal(missingValue?.code, 2);
  assert.match(missingValue?.stderr ?? '', /--config needs a value/);
  assert.equal(badSer?.code, 2);
  assert.match(badSer?.stderr ?? '', /--serialization must be cbor, json or xml/);
  assert.equal(badLevel?.code, 2);
  assert.match(badLevel?.stderr ?? '', /--log-level/);
});

test('--version prints the package version', async () => {
  const r = await cli(['--version']);
  assert.equal(r.code, 0);
  assert.match(r.stdout.trim(), /^\d+\.\d+\.\d+/);
});
