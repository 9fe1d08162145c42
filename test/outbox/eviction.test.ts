import assert from 'node:assert/strict';
import { it } from 'node:test';
import { EVICTABLE, pickVictims } from '../../src/outbox/eviction.js';
import { MemoryOutboxStore } from '../../src/outbox/memory-store.js';
import type { EventCategory } from '../../src/outbox/store.js';

async function fill(
  ecs: EventCategory[],
): Promise<{ store: MemoryOutboxStore; ids: number[]; size: number }> {
  const store = new MemoryOutboxStore();
  const ids: number[] = [];
  for (const ec of ecs) {
    ids.push(
      await store.append({
        stream: 's',
        ec,
        createdWallMs: 0,
        createdMonoMs: 0,
        bootId: 'b',
        payload: new Uint8Array(10),
      }),
    );
  }
  return { store, ids, size: store.stats().bytes / ecs.length };
}

it('orders victims by category, then age, and never above the newcomer', async () => {
  const { store, ids } = await fill(['immediate', 'latest', 'bestEffort', 'latest', 'bestEffort']);
  const none = (): boolean => false;
  const never = (): boolean => false;
  assert.deepEqual(pickVictims(store, 'immediate', none, never).ids, [
    ids[2],
    ids[4],
    ids[1],
    ids[3],
    ids[0],
  ]);
  assert.deepEqual(pickVictims(store, 'latest', none, never).ids, [ids[2], ids[4], ids[1], ids[3]]);
  assert.deepEqual(pickVictims(store, 'bestEffort', none, never).ids, [ids[2], ids[4]]);
  assert.deepEqual(EVICTABLE.immediate, ['bestEffort', 'latest', 'immediate']);
});

it('stops when enough is picked and skips kept ids', async () => {
  const { store, ids, size } = await fill(['bestEffort', 'bestEffort', 'latest', 'bestEffort']);
  const keep = (id: number): boolean => id === ids[0];
  const byCount = pickVictims(store, 'latest', keep, (count) => count >= 2);
  assert.deepEqual(byCount.ids, [ids[1], ids[3]]);
  assert.equal(byCount.bytes, 2 * size);
  const byBytes = pickVictims(store, 'latest', keep, (_, bytes) => bytes >= 2.5 * size);
  assert.deepEqual(byBytes.ids, [ids[1], ids[3], ids[2]]);
  assert.deepEqual(
    pickVictims(
      store,
      'bestEffort',
      () => true,
      () => false,
    ).ids,
    [],
  );
  assert.equal(store.stats().depth, 4, 'picking removes nothing');
});
