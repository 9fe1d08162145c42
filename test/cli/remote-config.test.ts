/**
 * Applying a configuration patch (`cli/remote-config.ts`): a configuration that validates but does
 * not start is rolled back: the previous one is started again and the stored patch put back.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { applyRemotePatch } from '../../src/cli/remote-config.js';
import { loadConfig } from '../../src/config/load.js';
import { REMOTE_CONFIG_FILE, storePatch } from '../../src/config/remote-store.js';
import type { AgentConfig } from '../../src/config/types.js';
import { deviceModelDirs } from '../../src/cli/paths.js';
import { memoryLogger } from '../../src/util/log.js';

test('a patched configuration that does not start: previous one started again, stored patch put back', async (t) => {
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
      devices: [{ name: 'c', model: 'sim', params: { waveform: 'counter' } }],
    }),
    { mode: 0o640 },
  );
  const state = join(dir, 'state');
  await storePatch(state, { schedule: ['* * * * * * *'] });
  const before = fs.readFileSync(join(state, REMOTE_CONFIG_FILE), 'utf8');
  const current = await loadConfig(path, { deviceModelDirs: deviceModelDirs(path) });
  const started: AgentConfig[] = [];
  const outcome = await applyRemotePatch('{"devices": {"c": {"sample": "*/5 * * * * *"}}}', {
    path,
    current: () => current,
    log: () => memoryLogger(),
    restart: (next) => {
      assert.equal(next.devices[0]?.sample, '*/5 * * * * *');
      return Promise.reject(new Error('sensor bus busy'));
    },
    rollback: (previous) => {
      started.push(previous);
      return Promise.resolve();
    },
  });
  assert.deepEqual(outcome, {
    status: 'refused',
    issues: [{ path: '', message: 'did not start: sensor bus busy' }],
  });
  assert.deepEqual(started, [current]);
  assert.equal(fs.readFileSync(join(state, REMOTE_CONFIG_FILE), 'utf8'), before);
  const notJson = await applyRemotePatch('{devices', {
    path,
    current: () => current,
    log: () => memoryLogger(),
    restart: () => Promise.reject(new Error('not reached')),
    rollback: () => Promise.reject(new Error('not reached')),
  });
  assert.equal(notJson.status, 'refused');
});
