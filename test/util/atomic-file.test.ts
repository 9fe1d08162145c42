import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fsyncDir, writeFileAtomic, writeFileAtomicSync } from '../../src/util/atomic-file.js';

const root = fs.mkdtempSync(os.tmpdir() + '/m2m-');
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

for (const [name, write] of [
  ['writeFileAtomic', writeFileAtomic],
  [
    'writeFileAtomicSync',
    async (p: string, d: string | Uint8Array, o?: { mode?: number }): Promise<void> => {
      await Promise.resolve();
      writeFileAtomicSync(p, d, o);
    },
  ],
] as const) {
  describe(name, () => {
    it('creates, then replaces a file whole, leaving no temp file', async () => {
      const dir = fs.mkdtempSync(join(root, 'a-'));
      const p = join(dir, 'state.json');
      await write(p, '{"v":1}');
      assert.equal(fs.readFileSync(p, 'utf8'), '{"v":1}');
      await write(p, new TextEncoder().encode('{"v":2}'));
      assert.equal(fs.readFileSync(p, 'utf8'), '{"v":2}');
      assert.deepEqual(fs.readdirSync(dir), ['state.json']);
    });

    it('applies the mode to a new file', async () => {
      const p = join(fs.mkdtempSync(join(root, 'm-')), 'secret');
      await write(p, 'k', { mode: 0o600 });
      assert.equal(fs.statSync(p).mode & 0o777, 0o600);
    });

    it('on failure leaves the target as it was and removes its temp file', async () => {
      const dir = fs.mkdtempSync(join(root, 'f-'));
      const target = join(dir, 'occupied');
      fs.mkdirSync(target); // rename(file -> non-empty directory) fails
      fs.writeFileSync(join(target, 'keep'), 'x');
      await assert.rejects(write(target, 'new'));
      assert.deepEqual(fs.readdirSync(dir), ['occupied']);
      assert.equal(fs.readFileSync(join(target, 'keep'), 'utf8'), 'x');
      await assert.rejects(write(join(dir, 'missing', 'f'), 'x'), { code: 'ENOENT' });
    });
  });
}

it('fsyncDir syncs a directory and fails for a missing one', async () => {
  await fsyncDir(root);
  await assert.rejects(fsyncDir(join(root, 'nope')), { code: 'ENOENT' });
});
