/**
 * The fd cache on real files: it reuses an open fd, closes the least recently used one past its
 * bound (after fsyncing it if it has unsynced writes), and fsyncs only dirty fds.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FdCache } from '../../src/outbox/fd-cache.js';
import { nodeFileOps, type FileOps } from '../../src/outbox/file-ops.js';
import { silentLogger } from '../../src/util/log.js';

function recordingOps(): FileOps & { readonly calls: string[]; readonly pathOf: Map<number, string> } {
  const calls: string[] = [];
  const pathOf = new Map<number, string>();
  return {
    ...nodeFileOps,
    calls,
    pathOf,
    async open(path, flags) {
      const fd = await nodeFileOps.open(path, flags);
      pathOf.set(fd, path);
      calls.push(`open ${path.slice(-1)}`);
      return fd;
    },
    async close(fd) {
      calls.push(`close ${pathOf.get(fd)?.slice(-1) ?? '?'}`);
      await nodeFileOps.close(fd);
    },
    async fsync(fd) {
      calls.push(`fsync ${pathOf.get(fd)?.slice(-1) ?? '?'}`);
      await nodeFileOps.fsync(fd);
    },
  };
}

test('reuses fds, closes the least recently used past the bound, fsyncing it first if dirty', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-fd-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const [a, b, c] = ['a', 'b', 'c'].map((n) => join(dir, n)) as [string, string, string];
  for (const p of [a, b, c]) writeFileSync(p, 'x');
  const ops = recordingOps();
  const cache = new FdCache(ops, 2, silentLogger);

  const fdA = await cache.get(a, 'r');
  const fdB = await cache.get(b, 'a');
  assert.equal(await cache.get(a, 'r'), fdA, 'a hit returns the same fd');
  cache.markDirty(fdB);
  await cache.get(c, 'r'); // over the bound: b is the least recently used (a was used after it)
  assert.deepEqual(ops.calls, ['open a', 'open b', 'open c', 'fsync b', 'close b']);

  ops.calls.length = 0;
  assert.equal(await cache.get(a, 'r'), fdA, 'a is still open');
  await cache.get(b, 'a'); // now c is the least recently used, and clean: closed without fsync
  assert.deepEqual(ops.calls, ['open b', 'close c']);

  ops.calls.length = 0;
  await cache.syncDirty();
  assert.deepEqual(ops.calls, [], 'nothing dirty, nothing synced');
  await cache.closeAll();
  assert.deepEqual(ops.calls.sort(), ['close a', 'close b']);
});
