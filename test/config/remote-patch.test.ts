import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/config/errors.js';
import { mergePatch, remotePatchIssues } from '../../src/config/remote-patch.js';
import { REMOTE_CONFIG_FILE, storePatch } from '../../src/config/remote-store.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'config', 'devices');

function setUp(t: { after: (fn: () => void) => void }, extra: Record<string, unknown> = {}): string {
  const dir = fs.mkdtempSync(os.tmpdir() + '/m2m-');
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  fs.mkdirSync(join(dir, 'state'), { mode: 0o750 });
  const path = join(dir, 'config.json');
  fs.writeFileSync(
    path,
    JSON.stringify({
      registrar: { url: 'ws://127.0.0.1:9/' },
      node: { name: 'gw' },
      stateDir: 'state',
      devices: [
        { name: 'a', model: 'sim', sample: '*/10 * * * * *' },
        { name: 'b', model: 'sim' },
      ],
      ...extra,
    }),
    { mode: 0o640 },
  );
  return path;
}

async function issuesOf(p: Promise<unknown>): Promise<[string, string][]> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.issues.map((i) => [i.path, i.message]);
  }
  assert.fail('expected a ConfigError');
}

test('a merge patch follows RFC 7396: objects merge, null removes, arrays replace', () => {
  assert.deepEqual(mergePatch({ a: { b: 1, c: 2 }, d: [1, 2] }, { a: { c: null, e: 3 }, d: [3] }), {
    a: { b: 1, e: 3 },
    d: [3],
  });
});

test('only sample, deadband, eventCategory and schedule may be patched; the connection needs the switch', () => {
  const patch = {
    schedule: ['* * * * * * *'],
    devices: { a: { sample: '*/5 * * * * *', driver: 'gpio' } },
    registrar: { url: 'ws://evil/' },
    buffer: { maxBytes: 1 },
  };
  assert.deepEqual(
    remotePatchIssues(patch, { allowConnection: false }).map((i) => i.path),
    ['devices.a.driver', 'registrar', 'buffer'],
  );
  assert.deepEqual(
    remotePatchIssues(patch, { allowConnection: true }).map((i) => i.path),
    ['devices.a.driver', 'buffer'],
  );
});

test('a pending patch is validated as check validates the file, with its key paths', async (t) => {
  const path = setUp(t);
  const opts = { deviceModelDirs: [FIXTURES] };
  const ok = await loadConfig(path, {
    ...opts,
    pendingPatch: { devices: { b: { sample: '*/2 * * * * *' } } },
  });
  assert.equal(ok.devices[1]?.sample, '*/2 * * * * *');
  assert.equal(ok.devices[0]?.sample, '*/10 * * * * *');
  const bad = await issuesOf(
    loadConfig(path, { ...opts, pendingPatch: { devices: { b: { deadband: 'x' } } } }),
  );
  assert.equal(bad[0]?.[0], 'devices[1].deadband');
  assert.deepEqual(
    await issuesOf(
      loadConfig(path, { ...opts, pendingPatch: { devices: { zz: { sample: '* * * * * *' } } } }),
    ),
    [['devices.zz', 'no such device in the configuration']],
  );
  assert.deepEqual(
    (await issuesOf(loadConfig(path, { ...opts, pendingPatch: { stateDir: '/tmp' } }))).map((i) => i[0]),
    ['stateDir'],
  );
});

test('the connection may be patched only when management.remoteConfig.allowConnection is true', async (t) => {
  const path = setUp(t, { management: { remoteConfig: { allowConnection: true } } });
  const c = await loadConfig(path, {
    deviceModelDirs: [FIXTURES],
    pendingPatch: { registrar: { url: 'ws://127.0.0.1:10/' } },
  });
  assert.equal(c.registrar.url, 'ws://127.0.0.1:10/');
  assert.equal(c.management.remoteConfig.allowConnection, true);
});

test('the stored patch (0640, with a revision) is merged over the file at every load', async (t) => {
  const path = setUp(t);
  const state = join(path, '..', 'state');
  const first = await storePatch(state, { devices: { a: { sample: '*/3 * * * * *' } } });
  const second = await storePatch(state, { devices: { b: { deadband: 0.5 } }, schedule: null });
  assert.deepEqual([first.revision, second.revision], [1, 2]);
  assert.equal(fs.statSync(join(state, REMOTE_CONFIG_FILE)).mode & 0o777, 0o640);
  const c = await loadConfig(path, { deviceModelDirs: [FIXTURES] });
  assert.equal(c.devices[0]?.sample, '*/3 * * * * *');
  assert.equal(c.devices[1]?.deadband, 0.5);
  // A null is kept: it removes the key from the file at every start, not only once.
  assert.deepEqual(JSON.parse(fs.readFileSync(join(state, REMOTE_CONFIG_FILE), 'utf8')), {
    revision: 2,
    patch: { devices: { a: { sample: '*/3 * * * * *' }, b: { deadband: 0.5 } }, schedule: null },
  });
  assert.equal(c.management.remoteConfig.enabled, true);
  assert.equal(c.management.remoteConfig.allowConnection, false);
});

test('a stored patch that no longer fits the file is reported against the stored file', async (t) => {
  const path = setUp(t);
  const state = join(path, '..', 'state');
  await storePatch(state, { devices: { gone: { sample: '* * * * * *' } } });
  const issues = await issuesOf(loadConfig(path, { deviceModelDirs: [FIXTURES] }));
  assert.deepEqual(issues, [
    [`${join(state, REMOTE_CONFIG_FILE)}: devices.gone`, 'no such device in the configuration'],
  ]);
});
