import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryOutboxStore } from '../../src/outbox/memory-store.js';
import { ManualClock } from '../../src/util/clock.js';
import { outboxStoreContract, rec } from '../contracts/outbox-store.js';

outboxStoreContract('MemoryOutboxStore', () =>
  Promise.resolve({ store: new MemoryOutboxStore(), cleanup: () => Promise.resolve() }),
);

describe('MemoryOutboxStore', () => {
  it('simulates a full disk with capacityBytes', async () => {
    const store = new MemoryOutboxStore({ capacityBytes: 0 });
    const r = rec('s', 1);
    store.setCapacityBytes(store.sizeOf(r) * 2);
    await store.append(r);
    await store.append(rec('s', 2));
    await assert.rejects(store.append(rec('s', 3)), { code: 'OUTBOX_NO_SPACE' });
    store.setCapacityBytes(undefined);
    await store.append(rec('s', 3));
    assert.equal(store.stats().depth, 3);
  });

  it('keeps only maxQuarantined records in quarantine, stamped with the clock', async () => {
    const clock = new ManualClock(Date.UTC(2030, 5, 1));
    const store = new MemoryOutboxStore({ maxQuarantined: 2, clock });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await store.append(rec('s', i)));
    for (const id of ids) await store.quarantine(id, `r${id}`);
    const q = await store.readQuarantine();
    assert.deepEqual(
      q.map((r) => r.id),
      ids.slice(1),
    );
    assert.equal(q[0]!.quarantinedAtWallMs, Date.UTC(2030, 5, 1));
    assert.equal(store.stats().quarantined, 3);
  });
});
