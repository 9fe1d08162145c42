/**
 * What a configuration does not use is not loaded: an agent with sim devices only, on a CBOR link,
 * runs with serialport, fast-xml-parser and onoff made unloadable (a preload throws on them).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistrar } from '../../src/cse/server.js';
import { ResourceType } from '../../src/protocol/codes.js';
import { rawConfig } from '../helpers/agent-harness.js';
import { spawnRun, until, writeConfig } from '../helpers/cli-child.js';

const PRELOAD = fileURLToPath(new URL('./fixtures/forbid-optional-packages.mjs', import.meta.url));

test('the preload really forbids the packages (so the test below can fail)', () => {
  for (const stmt of ["await import('serialport')", "await import('fast-xml-parser')"]) {
    const r = spawnSync(process.execPath, ['--import', PRELOAD, '--input-type=module', '-e', stmt], {
      encoding: 'utf8',
    });
    assert.notEqual(r.status, 0, stmt);
    assert.match(r.stderr, /forbidden/);
  }
});

test('an agent with sim devices runs without serialport, fast-xml-parser or onoff', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-lazy-'));
  const registrar = await startRegistrar({ port: 0 });
  let readings = 0;
  registrar.on('resource', (e) => {
    if (e.kind === 'created' && e.ty === ResourceType.ContentInstance) readings++;
  });
  const config = join(dir, 'config.json');
  writeConfig(config, rawConfig(registrar, join(dir, 'state')));
  const child = spawnRun(config, { env: { NODE_OPTIONS: `--import ${PRELOAD}` } });
  try {
    await until(() => readings >= 2 || child.child.exitCode !== null, 'two readings');
    assert.equal(child.child.exitCode, null, child.stderr());
    assert.ok(!/forbidden/.test(child.stderr()), child.stderr());
  } finally {
    await child.kill();
    await registrar.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
