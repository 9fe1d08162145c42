import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'config', 'devices');

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(os.tmpdir() + '/m2m-');
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

async function configError(p: Promise<unknown>): Promise<ConfigError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    assert.equal(err.code, 'CONFIG_INVALID');
    return err;
  }
  assert.fail('expected a ConfigError');
}

test('a valid file loads; relative paths resolve against its directory', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'config.json');
  fs.writeFileSync(
    path,
    JSON.stringify({
      registrar: { url: 'ws://127.0.0.1:9/' },
      node: { name: 'gw' },
      stateDir: 'state',
      devices: [{ name: 'c', model: 'sim' }],
    }),
  );
  const config = await loadConfig(path, { deviceModelDirs: [FIXTURES] });
  assert.equal(config.source, path);
  assert.equal(config.stateDir, join(dir, 'state'));
  assert.equal(config.devices[0]?.driver, 'sim');
});

test('a missing file and bad JSON are reported against the file, with a line and column', async (t) => {
  const dir = tempDir(t);
  const absent = await configError(loadConfig(join(dir, 'absent.json'), { deviceModelDirs: [] }));
  assert.deepEqual(
    absent.issues.map((i) => [i.path, i.message]),
    [[join(dir, 'absent.json'), 'cannot read the configuration: ENOENT']],
  );
  assert.match(absent.issues[0]?.hint ?? '', /config\/example\.json/);
  const path = join(dir, 'bad.json');
  fs.writeFileSync(path, '{\n  "node": { "name": "gw", },\n}\n');
  const bad = await configError(loadConfig(path, { deviceModelDirs: [] }));
  assert.equal(bad.issues.length, 1);
  assert.match(bad.issues[0]?.message ?? '', /^not valid JSON \(line 2, column 27\)/);
});

test('problems in model files and in the configuration come out together', async (t) => {
  const dir = tempDir(t);
  const models = join(dir, 'devices');
  fs.mkdirSync(models);
  fs.writeFileSync(
    join(models, 'sim.json'),
    JSON.stringify({ model: 'sim', driver: 'sim', kind: 'sensor', readings: [{ name: 'v', unit: 'deg C' }] }),
  );
  const path = join(dir, 'config.json');
  fs.writeFileSync(
    path,
    JSON.stringify({
      registrar: { url: 'ws://h/' },
      node: { name: 'gw', colour: 1 },
      devices: [{ name: 'x', model: 'sim' }],
    }),
  );
  const err = await configError(loadConfig(path, { deviceModelDirs: [FIXTURES, models] }));
  assert.deepEqual(
    err.issues.map((i) => i.path),
    [`${join(models, 'sim.json')}: readings[0].unit`, 'node.colour', 'devices[0].model'],
  );
  assert.match(err.message, /config\.json: 3 problems/);
});

test('unreadable TLS files are found through the injected check', async (t) => {
  const dir = tempDir(t);
  const path = join(dir, 'config.json');
  fs.writeFileSync(
    path,
    JSON.stringify({ registrar: { url: 'wss://h/', tls: { ca: 'ca.pem' } }, node: { name: 'gw' } }),
  );
  const seen: string[] = [];
  const err = await configError(
    loadConfig(path, {
      deviceModelDirs: [],
      unreadable: (p) => {
        seen.push(p);
        return 'EACCES';
      },
    }),
  );
  assert.deepEqual(seen, [join(dir, 'ca.pem')]);
  assert.deepEqual(
    err.issues.map((i) => i.path),
    ['registrar.tls.ca'],
  );
});
