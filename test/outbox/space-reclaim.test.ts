/**
 * A full disk whose segments mix `immediate` and `bestEffort` records (real files, a byte quota
 * enforced by the injected file operations): evicting for space frees real space by moving the
 * records that stay out of the oldest segment and deleting it; only the oldest `bestEffort`
 * records go; what stays survives a reopen, also when a crash left both copies on disk.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileOutboxStore } from '../../src/outbox/file-store.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';
import { FaultyFileOps } from './fault-file-ops.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = fs.mkdtempSync(join(os.tmpdir(), 'm2m-reclaim-'));
  dirs.push(d);
  return d;
}

interface Rig {
  dir: string;
  ops: FaultyFileOps;
  store: FileOutboxStore;
  outbox: Outbox;
  log: ReturnType<typeof memoryLogger>;
}

async function rig(dir = tempDir(), ops = new FaultyFileOps()): Promise<Rig> {
  const log = memoryLogger();
  const store = await FileOutboxStore.open(dir, { fileOps: ops, segmentBytes: 4096, fsyncIntervalMs: 0 });
  const outbox = new Outbox(store, {
    maxBytes: 1e9,
    maxAgeSeconds: 0,
    clock: new ManualClock(),
    bootId: 'b',
    logger: log,
  });
  return { dir, ops, store, outbox, log };
}

const payload = new Uint8Array(200);
const held = (store: FileOutboxStore): number[] => {
  const ids: number[] = [];
  store.scan((m) => void ids.push(m.id));
  return ids;
};

/** Appends one `immediate` after every four `bestEffort`, `n` records in all; returns the ids by category. */
async function fill(r: Rig, n: number): Promise<{ immediate: number[]; bestEffort: number[] }> {
  const out = { immediate: [] as number[], bestEffort: [] as number[] };
  for (let i = 0; i < n; i++) {
    const ec = i % 5 === 4 ? 'immediate' : 'bestEffort';
    out[ec].push(await r.outbox.append({ stream: ec === 'immediate' ? 'alarm' : 'temp', ec, payload }));
  }
  return out;
}

test('a full disk of mixed segments: only the oldest bestEffort go, every immediate stays, space is really freed', async () => {
  const r = await rig();
  r.ops.quotaBytes = r.ops.usedBytes() + 8 * 4096; // room for about eight segments
  const first = await fill(r, 100);
  const second = await fill(r, 200); // far more than fits: the disk is full for most of these
  const s = r.outbox.stats();
  assert.ok(s.evictedForSpace > 0, 'evicted for space');
  assert.equal(s.refusedFull, 0, 'nothing refused: there was always an older bestEffort to evict');
  const ids = held(r.store);
  const kept = new Set(ids);
  for (const id of [...first.immediate, ...second.immediate]) assert.ok(kept.has(id), `immediate ${id} kept`);
  const allBe = [...first.bestEffort, ...second.bestEffort];
  const evicted = allBe.filter((id) => !kept.has(id));
  assert.deepEqual(evicted, allBe.slice(0, evicted.length), 'the oldest bestEffort went, and only they');
  assert.ok(r.ops.usedBytes() <= (r.ops.quotaBytes ?? 0));
  assert.ok(r.store.segmentCount() <= 9, `segments: ${r.store.segmentCount()}`);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
    'held in id order',
  );
  await r.outbox.close();

  // Reopened: the moved records are found in their new segment, in id order, nothing twice.
  const again = await rig(r.dir, new FaultyFileOps());
  assert.deepEqual(held(again.store), ids);
  const peeked = await again.store.peek(ids.length);
  assert.deepEqual(
    peeked.map((p) => p.id),
    ids,
  );
  await again.outbox.close();
});

test('a crash between moving the records that stay and deleting their old segment leaves them once', async () => {
  const r = await rig();
  r.ops.quotaBytes = r.ops.usedBytes() + 6 * 4096;
  await fill(r, 60);
  const oldest = fs
    .readdirSync(r.dir)
    .filter((n) => /^seg-\d+\.log$/.test(n))
    .sort()[0];
  assert.ok(oldest);
  const saved = fs.readFileSync(join(r.dir, oldest));
  await fill(r, 80); // reclaims, deleting the oldest segment among others
  assert.ok(!fs.existsSync(join(r.dir, oldest)), 'the oldest segment was deleted');
  const ids = held(r.store);
  await r.outbox.close();
  // As if the process died after the copies were written but before the old file was deleted.
  fs.writeFileSync(join(r.dir, oldest), saved);
  const again = await rig(r.dir, new FaultyFileOps());
  const after = held(again.store);
  assert.equal(new Set(after).size, after.length, 'no record indexed twice');
  for (const id of ids) assert.ok(after.includes(id), `record ${id} survived`);
  assert.deepEqual(
    after,
    [...after].sort((a, b) => a - b),
    'in id order',
  );
  await again.outbox.close();
});

test('a full disk whose only segment holds nothing any more: it is cut back, and appends go on', async () => {
  const r = await rig();
  const ids: number[] = [];
  for (let i = 0; i < 12; i++) ids.push(await r.outbox.append({ stream: 'temp', ec: 'bestEffort', payload }));
  assert.equal(r.store.segmentCount(), 1);
  await r.store.remove(ids); // delivered
  r.ops.quotaBytes = r.ops.usedBytes(); // and the disk is full
  const id = await r.outbox.append({ stream: 'temp', ec: 'bestEffort', payload });
  assert.deepEqual(held(r.store), [id]);
  assert.equal(r.outbox.stats().refusedFull, 0);
  await r.outbox.close();
  const again = await rig(r.dir, new FaultyFileOps());
  assert.deepEqual(held(again.store), [id], 'nothing delivered comes back');
  await again.outbox.close();
});
