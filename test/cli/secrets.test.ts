/**
 * Secrets never leave the process in clear. The real agent runs with credentials (in the
 * configuration file; from the environment and systemd's $CREDENTIALS_DIRECTORY, for the
 * registrar and an authenticating proxy), at debug level, while the registrar accepts it and while
 * it refuses it; then everything it wrote is searched for the secrets in every encoding they
 * could take (as is, percent-encoded, inside a Basic header): stdout, stderr, every file in the
 * state directory, the metrics file, and the output of `check`, `status` and `status --json`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import {
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawConfig } from '../helpers/agent-harness.js';
import { CLI_MAIN, NODE_LOADER, PACKAGE_DIR, spawnRun, until, writeConfig } from '../helpers/cli-child.js';
import { ConnectProxy } from '../helpers/connect-proxy.js';
import { startRegistrar } from '../../src/cse/server.js';
import { ResourceType } from '../../src/protocol/codes.js';

function cli(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...NODE_LOADER, CLI_MAIN, ...args],
      { cwd: PACKAGE_DIR, env: { ...process.env, ...env }, timeout: 30_000 },
      (_err, stdout, stderr) => {
        resolve(stdout + stderr);
      },
    );
  });
}

/** Every form a `user:password` pair could leak in. */
function forms(user: string, password: string): string[] {
  return [
    password,
    encodeURIComponent(password),
    Buffer.from(`${user}:${password}`).toString('base64'),
    Buffer.from(password).toString('base64'),
  ];
}

/** Every file below `dir`, with its content. */
function filesBelow(dir: string): [string, string][] {
  return (readdirSync(dir, { recursive: true }) as string[])
    .map((name) => join(dir, name))
    .filter((p) => statSync(p).isFile())
    .map((p) => [p, readFileSync(p, 'latin1')]);
}

function assertNoSecret(where: string, text: string, secrets: readonly string[]): void {
  for (const s of secrets) assert.ok(!text.includes(s), `${where} contains the secret ${JSON.stringify(s)}`);
}

test('credentials in the configuration file appear nowhere the agent writes (registrar accepting)', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'm2m-secrets-'));
  const registrar = await startRegistrar({ port: 0 });
  const runs: ReturnType<typeof spawnRun>[] = [];
  t.after(async () => {
    for (const r of runs) await r.kill();
    await registrar.close();
    rmSync(base, { recursive: true, force: true });
  });
  const password = 'Fil3-S3cret:with@odd/chars';
  const stateDir = join(base, 'state');
  const prom = join(base, 'metrics', 'm2m_agent.prom');
  mkdirSync(join(base, 'metrics'));
  const config = join(base, 'config.json');
  const url = registrar.url.replace('ws://', `ws://agent:${encodeURIComponent(password)}@`);
  const raw = rawConfig(registrar, stateDir);
  writeConfig(config, {
    ...raw,
    registrar: { ...(raw.registrar as object), url },
    metrics: { textfile: prom },
  });
  chmodSync(config, 0o600);
  let readings = 0;
  registrar.on('resource', (e) => {
    if (e.kind === 'created' && e.ty === ResourceType.ContentInstance) readings++;
  });
  const run = spawnRun(config, { args: ['--log-level', 'debug'] });
  runs.push(run);
  await until(() => readings >= 2, 'two readings at the registrar', 20_000, run);
  await until(
    () => {
      try {
        return readFileSync(prom, 'utf8').includes('m2m_agent_link_up 1');
      } catch {
        return false;
      }
    },
    'the metrics file',
    20_000,
    run,
  );
  const outputs = [
    ['check', await cli(['check', '-c', config])],
    ['status', await cli(['status', '-c', config])],
    ['status --json', await cli(['status', '-c', config, '--json'])],
  ] as const;
  run.child.kill('SIGTERM');
  await run.waitExit(15_000);

  const secrets = forms('agent', password);
  assert.match(run.stdout(), /agent:\*\*\*@127\.0\.0\.1/, 'the URL is logged, masked');
  assertNoSecret('stdout', run.stdout(), secrets);
  assertNoSecret('stderr', run.stderr(), secrets);
  for (const [name, out] of outputs) assertNoSecret(name, out, secrets);
  assert.match(outputs[0][1], /agent:\*\*\*@/, 'check shows the masked URL');
  assert.match(outputs[1][1], /agent:\*\*\*@/, 'status shows the masked URL');
  for (const [path, content] of [...filesBelow(stateDir), ...filesBelow(join(base, 'metrics'))])
    assertNoSecret(path, content, secrets);
});

test('credentials from the environment and $CREDENTIALS_DIRECTORY are used and appear nowhere (registrar refusing)', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'm2m-secrets-'));
  const registrarPassword = 'Env-S3cret-registrar';
  const proxyPassword = 'Cred-S3cret-proxy';
  const proxy = await ConnectProxy.start({ credentials: `proxyuser:${proxyPassword}` });
  // A registrar that refuses every upgrade with 401, so the agent retries and logs failures.
  const authorizations: (string | undefined)[] = [];
  const refusing = http.createServer();
  refusing.on('upgrade', (req, socket) => {
    authorizations.push(req.headers.authorization);
    socket.end('HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n');
  });
  refusing.listen(0, '127.0.0.1');
  await once(refusing, 'listening');
  const runs: ReturnType<typeof spawnRun>[] = [];
  t.after(async () => {
    for (const r of runs) await r.kill();
    await proxy.close();
    refusing.closeAllConnections();
    refusing.close();
    rmSync(base, { recursive: true, force: true });
  });
  const stateDir = join(base, 'state');
  const prom = join(base, 'metrics', 'm2m_agent.prom');
  mkdirSync(join(base, 'metrics'));
  const creds = join(base, 'credentials');
  mkdirSync(creds, { mode: 0o700 });
  writeFileSync(join(creds, 'proxy'), `proxyuser:${proxyPassword}\n`, { mode: 0o400 });
  const config = join(base, 'config.json');
  writeConfig(config, {
    registrar: {
      url: `ws://127.0.0.1:${(refusing.address() as AddressInfo).port}/`,
      proxy: `http://127.0.0.1:${proxy.port}`,
    },
    node: { name: 'secret-gw' },
    stateDir,
    link: { backoffFloorMs: 50, backoffCapMs: 200 },
    metrics: { textfile: prom },
    devices: [{ name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' }],
  });
  const env = {
    M2M_AGENT_REGISTRAR_CREDENTIALS: `agent:${registrarPassword}`,
    CREDENTIALS_DIRECTORY: creds,
  };
  const run = spawnRun(config, { args: ['--log-level', 'debug'], env });
  runs.push(run);
  await until(() => authorizations.length >= 3, 'three refused upgrades', 20_000, run);
  await until(
    () => {
      try {
        return /WS_HANDSHAKE_FAILED/.test(readFileSync(join(stateDir, 'status.json'), 'utf8'));
      } catch {
        return false;
      }
    },
    'the refusal in status.json',
    20_000,
    run,
  );
  const outputs = [
    ['check', await cli(['check', '-c', config], env)],
    ['status', await cli(['status', '-c', config], env)],
    ['status --json', await cli(['status', '-c', config, '--json'], env)],
  ] as const;
  run.child.kill('SIGTERM');
  await run.waitExit(15_000);

  // The credentials were really used: by the proxy tunnel and in the WebSocket handshake.
  const basic = (u: string, p: string): string => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;
  assert.equal(proxy.requests.at(-1)?.authorization, basic('proxyuser', proxyPassword));
  assert.equal(authorizations.at(-1), basic('agent', registrarPassword));

  const secrets = [...forms('agent', registrarPassword), ...forms('proxyuser', proxyPassword)];
  assertNoSecret('stdout', run.stdout(), secrets);
  assertNoSecret('stderr', run.stderr(), secrets);
  for (const [name, out] of outputs) assertNoSecret(name, out, secrets);
  assert.match(outputs[0][1], /agent:\*\*\*@/, 'check shows where credentials went, masked');
  for (const [path, content] of [...filesBelow(stateDir), ...filesBelow(join(base, 'metrics'))])
    assertNoSecret(path, content, secrets);
});

test('a crash (uncaught exception, unhandled rejection) prints the error masked, exit 1', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-secrets-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  // A library failing asynchronously while the CLI reads its configuration (the only file named none.json).
  const failing = (raise: string): string =>
    [
      "import fsp from 'node:fs/promises';",
      "import { syncBuiltinESMExports } from 'node:module';",
      'const readFile = fsp.readFile;',
      'fsp.readFile = (path, ...rest) => {',
      "  if (!String(path).endsWith('none.json')) return readFile(path, ...rest);",
      `  setImmediate(() => { ${raise} });`,
      '  return new Promise(() => undefined);',
      '};',
      'syncBuiltinESMExports();',
    ].join('\n');
  for (const [name, code] of [
    ['throw', failing("throw new Error('connect wss://agent:hunter22@h/ failed');")],
    ['reject', failing("void Promise.reject(new Error('open wss://agent:hunter22@h/'));")],
  ] as const) {
    // Loaded before the CLI, as a library failing at some later point would.
    const preload = join(dir, `${name}.mjs`);
    writeFileSync(preload, code);
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [...NODE_LOADER, '--import', preload, CLI_MAIN, 'status', '-c', join(dir, 'none.json')],
        { cwd: PACKAGE_DIR, timeout: 30_000 },
        (err, _stdout, stderr) => {
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stderr });
        },
      );
    });
    assert.equal(r.code, 1, `${name}: ${r.stderr}`);
    assert.match(r.stderr, /agent:\*\*\*@h/, name);
    assert.ok(!r.stderr.includes('hunter22'), `${name}: ${r.stderr}`);
  }
});
