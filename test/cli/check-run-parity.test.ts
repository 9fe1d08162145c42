/**
 * `check` is `run` without the side effects: every configuration `run` refuses at start is
 * refused by `check` too, with the same key path, and neither touches the state directory. Each
 * case runs both commands as the real CLI in child processes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_MAIN, NODE_LOADER, PACKAGE_DIR, writeConfig } from '../helpers/cli-child.js';
import { makeTestPki } from '../helpers/tls.js';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Result> {
  const base = { ...process.env };
  for (const k of ['M2M_AGENT_CONFIG', 'CREDENTIALS_DIRECTORY', 'NOTIFY_SOCKET', 'WATCHDOG_USEC'])
    Reflect.deleteProperty(base, k);
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...NODE_LOADER, CLI_MAIN, ...args],
      { cwd: PACKAGE_DIR, env: { ...base, ...env }, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

const pki = makeTestPki();

interface Case {
  readonly name: string;
  /** Key path (or file) the problem must be reported at. */
  readonly path: string | ((dir: string) => string);
  readonly message: RegExp;
  /** Changes the base configuration and prepares files in `dir`. */
  setup(dir: string, raw: Record<string, unknown>): Record<string, unknown>;
  readonly env?: (dir: string) => NodeJS.ProcessEnv;
  /** Runs after the config file is written (file modes). */
  after?(dir: string, configPath: string): void;
}

const wss = (dir: string, tls: Record<string, string>): Record<string, unknown> => ({
  url: 'wss://127.0.0.1:1/',
  tls: Object.fromEntries(
    Object.entries(tls).map(([k, pem]) => {
      writeFileSync(join(dir, `${k}.pem`), pem, { mode: 0o600 });
      return [k, `${k}.pem`];
    }),
  ),
});

const CASES: readonly Case[] = [
  {
    name: 'an https:// proxy (unsupported)',
    path: 'registrar.proxy',
    message: /expected form \(pattern \^http:\/\/\)/,
    setup: (_d, raw) => ({
      ...raw,
      registrar: { url: 'ws://127.0.0.1:1/', proxy: 'https://agent:hunter22@proxy:3128' },
    }),
  },
  {
    name: 'a client key that is not the certificate’s',
    path: 'registrar.tls.key',
    message: /is not the key of the certificate/,
    setup: (d, raw) => ({
      ...raw,
      registrar: wss(d, { ca: pki.ca, cert: pki.clientCert, key: pki.serverKey }),
    }),
  },
  {
    name: 'a CA file that holds no certificate',
    path: 'registrar.tls.ca',
    message: /holds no usable certificate/,
    setup: (d, raw) => ({ ...raw, registrar: wss(d, { ca: 'not a certificate\n' }) }),
  },
  {
    name: 'a CA file that does not exist',
    path: 'registrar.tls.ca',
    message: /cannot read .*: ENOENT/,
    setup: (_d, raw) => ({ ...raw, registrar: { url: 'wss://127.0.0.1:1/', tls: { ca: 'missing.pem' } } }),
  },
  {
    name: 'a client certificate that is a key',
    path: 'registrar.tls.cert',
    message: /is not a certificate/,
    setup: (d, raw) => ({
      ...raw,
      registrar: wss(d, { cert: pki.clientKey, key: pki.clientKey }),
    }),
  },
  {
    name: 'a schedule entry with six fields',
    path: 'schedule[0]',
    message: /expected 7 fields/,
    setup: (_d, raw) => ({ ...raw, schedule: ['* 0-4 * * * *'] }),
  },
  {
    name: 'a device of an unknown model',
    path: 'devices[0].model',
    message: /unknown model "no-such-model"/,
    setup: (_d, raw) => ({ ...raw, devices: [{ name: 'x', model: 'no-such-model' }] }),
  },
  {
    name: 'a broken device file beside the configuration',
    path: (d) => join(d, 'devices', 'broken.json'),
    message: /./,
    setup: (d, raw) => {
      mkdirSync(join(d, 'devices'));
      writeFileSync(join(d, 'devices', 'broken.json'), '{ "model": "broken", ');
      return raw;
    },
  },
  {
    name: 'a malformed trusted originator',
    path: 'trustedOriginators[0]',
    message: /not an originator/,
    setup: (_d, raw) => ({ ...raw, trustedOriginators: ['//evil.example'] }),
  },
  {
    name: 'a configuration writable by every user',
    path: (d) => join(d, 'config.json'),
    message: /writable by every user \(mode 0666\)/,
    setup: (_d, raw) => raw,
    after: (_d, config) => {
      chmodSync(config, 0o666);
    },
  },
  {
    name: 'credentials in a configuration readable by every user',
    path: 'registrar.url',
    message: /holds credentials, but .* is readable by every user \(mode 0644\)/,
    setup: (_d, raw) => ({ ...raw, registrar: { url: 'ws://agent:hunter22@127.0.0.1:1/' } }),
    after: (_d, config) => {
      chmodSync(config, 0o644);
    },
  },
  {
    name: 'a state directory writable by every user',
    path: 'stateDir',
    message: /writable by every user \(mode 777\)|writable by every user \(mode 0777\)/,
    setup: (d, raw) => {
      mkdirSync(join(d, 'open-state'));
      chmodSync(join(d, 'open-state'), 0o777);
      return { ...raw, stateDir: 'open-state' };
    },
  },
  {
    name: 'registrar credentials from the environment without a colon',
    path: 'registrar.url',
    message: /\$M2M_AGENT_REGISTRAR_CREDENTIALS is not "user:password"/,
    setup: (_d, raw) => raw,
    env: () => ({ M2M_AGENT_REGISTRAR_CREDENTIALS: 'just-a-token' }),
  },
  {
    name: 'proxy credentials from LoadCredential= without a proxy',
    path: 'registrar.proxy',
    message: /credential proxy .* is set, but there is no proxy/,
    setup: (d, raw) => {
      mkdirSync(join(d, 'creds'));
      writeFileSync(join(d, 'creds', 'proxy'), 'user:pw\n', { mode: 0o400 });
      return raw;
    },
    env: (d) => ({ CREDENTIALS_DIRECTORY: join(d, 'creds') }),
  },
];

function baseConfig(): Record<string, unknown> {
  return {
    registrar: { url: 'ws://127.0.0.1:1/' },
    node: { name: 'parity' },
    stateDir: 'state',
    devices: [{ name: 'counter', model: 'sim' }],
  };
}

for (const c of CASES) {
  test(`check and run both refuse ${c.name}, at its key path, touching nothing`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-parity-'));
    t.after(() => {
      rmSync(dir, { recursive: true, force: true });
    });
    const config = join(dir, 'config.json');
    writeConfig(config, c.setup(dir, baseConfig()));
    chmodSync(config, 0o600);
    c.after?.(dir, config);
    const env = c.env?.(dir) ?? {};
    const [check, run] = await Promise.all([
      cli(['check', '-c', config], env),
      cli(['run', '-c', config], env),
    ]);
    const at = typeof c.path === 'string' ? c.path : c.path(dir);
    for (const [name, r] of [
      ['check', check],
      ['run', run],
    ] as const) {
      assert.equal(r.code, 1, `${name} exits 1\n${r.stdout}${r.stderr}`);
      const line = r.stderr.split('\n').find((l) => l.startsWith(`${at}: `) && c.message.test(l));
      assert.ok(line, `${name} reports the problem at ${at} (${String(c.message)}):\n${r.stderr}`);
      assert.ok(!(r.stdout + r.stderr).includes('hunter22'), `${name} printed a credential`);
    }
    assert.equal(existsSync(join(dir, 'state')), false, 'no state directory was created');
  });
}

test('check passes a configuration run accepts, and creates nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-parity-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const config = join(dir, 'config.json');
  writeConfig(config, {
    ...baseConfig(),
    registrar: wss(dir, { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey }),
  });
  const r = await cli(['check', '-c', config]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /OK/);
  assert.equal(existsSync(join(dir, 'state')), false);
});
