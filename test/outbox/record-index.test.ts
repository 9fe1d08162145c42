import assert from 'node:assert/strict';
import { it } from 'node:test';
import { RecordIndex } from '../../src/outbox/record-index.js';
import type { EventCategory, RecordMeta } from '../../src/outbox/store.js';

const ECS: EventCategory[] = ['immediate', 'bestEffort', 'latest'];

function meta(id: number): RecordMeta {
  return {
    id,
    stream: `s${id % 7}`,
    ec: ECS[id % 3]!,
    createdWallMs: 1e12 + id,
    createdMonoMs: id / 3,
    bootId: `boot-${id % 2}`,
    ...(id % 5 === 0 ? { expiresAtWallMs: 2e12 + id } : {}),
    sizeBytes: 50 + (id % 13),
  };
}

function check(ix: RecordIndex, model: Map<number, RecordMeta>): void {
  assert.equal(ix.count, model.size);
  assert.equal(
    ix.bytes,
    [...model.values()].reduce((a, m) => a + m.sizeBytes, 0),
  );
  for (const ec of ECS) assert.equal(ix.countOf(ec), [...model.values()].filter((m) => m.ec === ec).length);
  const listed = [...ix.positions()].map((p) => ix.metaAt(p));
  assert.deepEqual(listed, [...model.values()]);
}

it('matches a reference map through random adds, removals, compaction and shrinking', () => {
  const ix = new RecordIndex();
  const model = new Map<number, RecordMeta>();
  let next = 1;
  let seed = 12345;
  const rnd = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let round = 0; round < 6; round++) {
    const adds = round % 2 === 0 ? 3000 : 200;
    for (let i = 0; i < adds; i++) {
      const m = meta(next);
      next += 1 + Math.floor(rnd() * 3); // gaps, like burnt ids
      ix.add(m, { segment: m.id % 4, offset: m.id * 10 });
      model.set(m.id, m);
    }
    const ids = [...model.keys()];
    const kills = round % 2 === 0 ? ids.length / 3 : ids.length * 0.9;
    for (let i = 0; i < kills; i++) {
      const id = round === 3 ? ids[i]! : ids[Math.floor(rnd() * ids.length)]!; // round 3: oldest first, like a drain
      const pos = ix.find(id);
      if (!model.has(id)) {
        assert.equal(pos, -1);
        continue;
      }
      assert.ok(pos >= 0, `id ${id} not found`);
      assert.deepEqual(ix.locationAt(pos), { segment: id % 4, offset: id * 10 });
      assert.deepEqual(ix.kill(pos), { segment: id % 4, offset: id * 10 });
      model.delete(id);
      assert.equal(ix.find(id), -1);
    }
    check(ix, model);
  }
  assert.equal(ix.find(next + 100), -1);
  const big = ix.memoryBytes;
  for (const id of [...model.keys()]) ix.kill(ix.find(id));
  model.clear();
  check(ix, model);
  assert.ok(ix.memoryBytes < big || big <= 1024 * 52, 'memory shrinks once drained');
});

it('refuses ids that do not increase', () => {
  const ix = new RecordIndex();
  ix.add(meta(5), { segment: 0, offset: 0 });
  assert.throws(() => {
    ix.add(meta(5), { segment: 0, offset: 0 });
  }, RangeError);
  assert.throws(() => {
    ix.add(meta(3), { segment: 0, offset: 0 });
  }, RangeError);
  assert.equal(ix.lastId, 5);
});

it('runBytes: bytes of the back-to-back run each id starts, per segment, among the ids asked', () => {
  const ix = new RecordIndex();
  const add = (id: number, segment: number, offset: number, size: number): void => {
    ix.add({ ...meta(id), sizeBytes: size }, { segment, offset });
  };
  add(1, 0, 8, 10);
  add(2, 0, 18, 20);
  add(3, 0, 38, 30); // back to back with 1 and 2
  add(4, 1, 8, 5); // another segment
  add(5, 1, 13, 5);
  add(6, 1, 40, 5); // a gap before it
  ix.kill(ix.find(5));
  assert.deepEqual(ix.runBytes([1, 2, 3, 4, 5, 6]), [60, 50, 30, 5, 0, 5]);
  assert.deepEqual(ix.runBytes([1, 3]), [10, 30], 'an id left out breaks the run');
  assert.deepEqual(ix.runBytes([]), []);
});
