import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IdentityStore, type Identity } from '../../src/agent/identity.js';

function withDir(fn: (dir: string) => Promise<void>): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'm2m-id-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const ID: Identity = {
  registrarCseId: '/id-in',
  name: 'barn',
  aeId: 'Cbarn',
  ri: 'Cbarn',
  registeredAt: '20260101T000000',
  resources: { temp: 'cnt1', 'fan/command': 'cnt2', 'fan/command/m2m-agent-sub': 'sub1' },
};

test(
  'no file: first start (undefined)',
  withDir(async (dir) => {
    assert.equal(await new IdentityStore(dir).load(), undefined);
  }),
);

test(
  'save then load returns the same identity; the file is readable JSON, written without temp leftovers',
  withDir(async (dir) => {
    const store = new IdentityStore(dir);
    await store.save(ID);
    assert.deepEqual(await new IdentityStore(dir).load(), ID);
    assert.deepEqual(readdirSync(dir), ['identity.json']);
    const text = readFileSync(join(dir, 'identity.json'), 'utf8');
    assert.ok(text.endsWith('\n'));
    assert.equal((JSON.parse(text) as Identity).aeId, 'Cbarn');
  }),
);

test(
  'a state directory that does not exist yet is created on save',
  withDir(async (dir) => {
    const store = new IdentityStore(join(dir, 'a', 'b'));
    await store.save(ID);
    assert.equal((await store.load())?.aeId, 'Cbarn');
  }),
);

test(
  'optional fields default: no ri, no resources',
  withDir(async (dir) => {
    writeFileSync(
      join(dir, 'identity.json'),
      JSON.stringify({ registrarCseId: '/id-in', name: 'barn', aeId: 'C1' }),
    );
    assert.deepEqual(await new IdentityStore(dir).load(), {
      registrarCseId: '/id-in',
      name: 'barn',
      aeId: 'C1',
      registeredAt: '',
      resources: {},
    });
  }),
);

test(
  'a corrupt or incomplete file is a named error with a way out, never a silent re-registration',
  withDir(async (dir) => {
    for (const text of ['{ "aeId": ', JSON.stringify({ aeId: 'C1', name: 'barn' }), '[]']) {
      writeFileSync(join(dir, 'identity.json'), text);
      await assert.rejects(new IdentityStore(dir).load(), {
        code: 'STATE_CORRUPT',
        hint: /deregister|delete the file/,
      });
    }
  }),
);

test(
  'clear forgets the identity; clearing twice is fine',
  withDir(async (dir) => {
    const store = new IdentityStore(dir);
    await store.save(ID);
    await store.clear();
    await store.clear();
    assert.equal(await store.load(), undefined);
  }),
);

test(
  'a save that cannot be written (full disk, unwritable directory) is kept in memory and written once it can',
  withDir(async (dir) => {
    const stateDir = join(dir, 'state');
    writeFileSync(stateDir, 'a file where the state directory should be'); // every write fails
    const lines: string[] = [];
    const logger = {
      debug: () => undefined,
      info: (msg: string) => void lines.push(`info ${msg}`),
      warn: (msg: string) => void lines.push(`warn ${msg}`),
      error: (msg: string) => void lines.push(`error ${msg}`),
      child: () => logger,
    };
    const store = new IdentityStore(stateDir, { logger, saveRetryMs: 20 });
    await store.save(ID); // resolves: registration and delivery go on
    assert.equal(store.pendingSave, true);
    assert.deepEqual(await store.load(), ID, 'the unsaved identity is the current one');
    await store.save({ ...ID, resources: { ...ID.resources, extra: 'cnt9' } });
    assert.deepEqual(lines, [
      'warn cannot save the identity; kept in memory and saved again until it succeeds',
    ]);
    // Room again: the retry writes the newest identity.
    rmSync(stateDir);
    for (let i = 0; i < 500 && store.pendingSave; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(store.pendingSave, false);
    const saved = JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')) as Identity;
    assert.equal(saved.resources.extra, 'cnt9');
    assert.deepEqual(lines.slice(1), ['info identity saved']);
    assert.deepEqual(readdirSync(stateDir), ['identity.json'], 'no temporary file left');
  }),
);

test(
  'close() makes one last attempt to write an identity still waiting, and stops retrying',
  withDir(async (dir) => {
    const stateDir = join(dir, 'state');
    writeFileSync(stateDir, 'in the way');
    const store = new IdentityStore(stateDir, { saveRetryMs: 60_000 });
    await store.save(ID);
    assert.equal(store.pendingSave, true);
    rmSync(stateDir); // room again, long before the next retry
    await store.close();
    assert.equal(store.pendingSave, false);
    assert.deepEqual(JSON.parse(readFileSync(join(stateDir, 'identity.json'), 'utf8')), ID);
  }),
);
