/**
 * Credentials given outside the configuration file: `$CREDENTIALS_DIRECTORY/{registrar,proxy}`
 * (systemd LoadCredential=) before `M2M_AGENT_{REGISTRAR,PROXY}_CREDENTIALS`, put into the URL
 * percent-encoded; a second source beside credentials in the file is a conflict, not a choice.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { bundledDevicesDir } from '../../src/config/schemas.js';

function setup(t: { after(fn: () => void): void }, registrar: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-creds-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'config.json');
  writeFileSync(path, JSON.stringify({ registrar, node: { name: 'gw' }, stateDir: 'state' }));
  chmodSync(path, 0o600);
  return path;
}

const load = (path: string, env: NodeJS.ProcessEnv) =>
  loadConfig(path, { deviceModelDirs: [bundledDevicesDir()], env });

test('LoadCredential= wins over the environment; odd characters are percent-encoded into the URL', async (t) => {
  const path = setup(t, { url: 'wss://registrar.example:8443/ws', proxy: 'http://proxy:3128' });
  const creds = join(path, '..', 'creds');
  mkdirSync(creds);
  writeFileSync(join(creds, 'registrar'), 'agent:p@ss:w/rd\n');
  const config = await load(path, {
    CREDENTIALS_DIRECTORY: creds,
    M2M_AGENT_REGISTRAR_CREDENTIALS: 'other:ignored',
    M2M_AGENT_PROXY_CREDENTIALS: 'puser:ppw',
  });
  const url = new URL(config.registrar.url);
  assert.equal(decodeURIComponent(url.username), 'agent');
  assert.equal(decodeURIComponent(url.password), 'p@ss:w/rd');
  assert.equal(url.host, 'registrar.example:8443');
  assert.equal(config.registrar.proxy, 'http://puser:ppw@proxy:3128/');
});

test('credentials in the file and from the environment conflict; none anywhere is fine', async (t) => {
  const path = setup(t, { url: 'ws://agent:pw@h/' });
  await assert.rejects(load(path, { M2M_AGENT_REGISTRAR_CREDENTIALS: 'agent:pw2' }), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(
      err.issues.map((i) => i.path),
      ['registrar.url'],
    );
    assert.match(err.issues[0]?.message ?? '', /which one is meant/);
    return true;
  });
  assert.equal((await load(setup(t, { url: 'ws://h/' }), {})).registrar.url, 'ws://h/');
});
