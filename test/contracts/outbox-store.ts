/**
 * The contract every OutboxStore meets, run against each implementation (MQTT.js's abstract_store
 * idea): `test/outbox/memory-store.test.ts` and `test/outbox/file-store.test.ts` call it.
 */
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { EventCategory, NewRecord, OutboxStore } from '../../src/outbox/store.js';

/** A store to test, and (for durable stores) how to close it and open the same data again. */
export interface StoreHarness {
  store: OutboxStore;
  /** Closes `store` and opens a new store on the same data; absent for non-durable stores. */
  reopen?: () => Promise<OutboxStore>;
  cleanup: () => Promise<void>;
}

const BOOT = 'boot-contract';

/** A record with recognisable content: payload = `${stream}#${n}`. */
export function rec(
  stream: string,
  n: number,
  ec: EventCategory = 'bestEffort',
  extra: Partial<NewRecord> = {},
): NewRecord {
  return {
    stream,
    ec,
    createdWallMs: Date.UTC(2026, 0, 1) + n * 1000,
    createdMonoMs: 5000 + n,
    bootId: BOOT,
    payload: new TextEncoder().encode(`${stream}#${n}`),
    ...extra,
  };
}

function text(p: Uint8Array): string {
  return new TextDecoder().decode(p);
}

/** Registers the contract suite for one store implementation. */
export function outboxStoreContract(name: string, open: () => Promise<StoreHarness>): void {
  describe(`OutboxStore contract: ${name}`, () => {
    let h: StoreHarness;
    let store: OutboxStore;
    beforeEach(async () => {
      h = await open();
      store = h.store;
    });
    afterEach(async () => {
      await store.close().catch(() => undefined);
      await h.cleanup();
    });

    it('assigns increasing ids and peeks oldest first with header and payload intact', async () => {
      const a = await store.append(rec('s1', 1, 'immediate', { expiresAtWallMs: Date.UTC(2026, 0, 2) }));
      const b = await store.append(rec('s2', 2, 'latest'));
      const c = await store.append(rec('s1', 3));
      assert.ok(a < b && b < c, `ids ${a} ${b} ${c} not increasing`);
      const got = await store.peek(10);
      assert.deepEqual(
        got.map((r) => [r.id, r.stream, r.ec, text(r.payload)]),
        [
          [a, 's1', 'immediate', 's1#1'],
          [b, 's2', 'latest', 's2#2'],
          [c, 's1', 'bestEffort', 's1#3'],
        ],
      );
      const first = got[0]!;
      assert.equal(first.createdWallMs, Date.UTC(2026, 0, 1) + 1000);
      assert.equal(first.createdMonoMs, 5001);
      assert.equal(first.bootId, BOOT);
      assert.equal(first.expiresAtWallMs, Date.UTC(2026, 0, 2));
      assert.equal(got[1]!.expiresAtWallMs, undefined);
      assert.equal(first.sizeBytes, store.sizeOf(rec('s1', 1, 'immediate', { expiresAtWallMs: 1 })));
    });

    it('peek honours n, skip, stream and ec filters', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 6; i++)
        ids.push(await store.append(rec(i % 2 ? 'odd' : 'even', i, i < 3 ? 'bestEffort' : 'immediate')));
      assert.deepEqual(
        (await store.peek(2)).map((r) => r.id),
        ids.slice(0, 2),
      );
      assert.deepEqual(
        (await store.peek(3, { skip: new Set([ids[0]!, ids[2]!]) })).map((r) => r.id),
        [ids[1], ids[3], ids[4]],
      );
      assert.deepEqual(
        (await store.peek(10, { stream: 'odd' })).map((r) => r.id),
        [ids[1], ids[3], ids[5]],
      );
      assert.deepEqual(
        (await store.peek(10, { ec: 'immediate', stream: 'even' })).map((r) => r.id),
        [ids[4]],
      );
      assert.deepEqual(await store.peek(0), []);
    });

    it('scan visits headers oldest first and stops when told; meta finds one', async () => {
      const ids = [
        await store.append(rec('a', 1)),
        await store.append(rec('b', 2)),
        await store.append(rec('a', 3)),
      ];
      const seen: number[] = [];
      store.scan((m) => {
        seen.push(m.id);
        assert.equal('payload' in m, false);
        return seen.length < 2;
      });
      assert.deepEqual(seen, ids.slice(0, 2));
      const inA: number[] = [];
      store.scan((m) => void inA.push(m.id), { stream: 'a' });
      assert.deepEqual(inA, [ids[0], ids[2]]);
      assert.equal(store.meta(ids[1]!)?.stream, 'b');
      assert.equal(store.meta(99_999_999), undefined);
    });

    it('remove drops records, ignores unknown ids and counts by cause', async () => {
      const ids: number[] = [];
      for (let i = 0; i < 5; i++) ids.push(await store.append(rec('s', i)));
      assert.equal(await store.remove([ids[1]!, 12345678]), 1);
      assert.equal(await store.remove([ids[1]!]), 0, 'removing twice removes nothing');
      assert.equal(await store.remove([ids[2]!], 'evicted'), 1);
      assert.equal(await store.remove([ids[3]!], 'expired'), 1);
      assert.equal(await store.remove([ids[0]!], 'replaced'), 1);
      assert.deepEqual(
        (await store.peek(10)).map((r) => r.id),
        [ids[4]],
      );
      const s = store.stats();
      assert.deepEqual([s.delivered, s.evicted, s.expired, s.replaced, s.depth], [1, 1, 1, 1, 1]);
    });

    it('quarantine sets a record aside with its reason', async () => {
      const a = await store.append(rec('s', 1));
      const b = await store.append(rec('s', 2));
      assert.equal(await store.quarantine(a, 'rsc 4000 BAD_REQUEST'), true);
      assert.equal(await store.quarantine(a, 'again'), false);
      assert.deepEqual(
        (await store.peek(10)).map((r) => r.id),
        [b],
      );
      const q = await store.readQuarantine();
      assert.equal(q.length, 1);
      assert.equal(q[0]!.id, a);
      assert.equal(q[0]!.reason, 'rsc 4000 BAD_REQUEST');
      assert.equal(text(q[0]!.payload), 's#1');
      assert.equal(store.stats().quarantined, 1);
    });

    it('stats report depth, bytes, oldest time and per-category counts', async () => {
      assert.equal(store.stats().oldestCreatedWallMs, undefined);
      const r1 = rec('s', 1, 'immediate');
      const r2 = rec('t', 2, 'latest');
      const id1 = await store.append(r1);
      await store.append(r2);
      let s = store.stats();
      assert.equal(s.depth, 2);
      assert.equal(s.bytes, store.sizeOf(r1) + store.sizeOf(r2));
      assert.equal(s.oldestCreatedWallMs, r1.createdWallMs);
      assert.deepEqual(s.byEc, { immediate: 1, bestEffort: 0, latest: 1 });
      await store.remove([id1]);
      s = store.stats();
      assert.equal(s.bytes, store.sizeOf(r2));
      assert.equal(s.oldestCreatedWallMs, r2.createdWallMs);
      assert.deepEqual(s.byEc, { immediate: 0, bestEffort: 0, latest: 1 });
    });

    it('keeps a copy: changing the caller buffer after append changes nothing', async () => {
      const r = rec('s', 1);
      const id = await store.append(r);
      r.payload.fill(0x21);
      assert.equal(text((await store.peek(1))[0]!.payload), 's#1');
      assert.equal(store.meta(id)?.id, id);
    });

    it('concurrent appends get distinct ids in call order', async () => {
      const ids = await Promise.all(Array.from({ length: 50 }, (_, i) => store.append(rec('c', i))));
      assert.deepEqual(
        [...ids].sort((x, y) => x - y),
        ids,
      );
      assert.equal(new Set(ids).size, 50);
      assert.deepEqual(
        (await store.peek(50)).map((r) => text(r.payload)),
        ids.map((_, i) => `c#${i}`),
      );
    });

    it('rejects every operation after close with OUTBOX_CLOSED', async () => {
      await store.append(rec('s', 1));
      await store.close();
      await assert.rejects(store.append(rec('s', 2)), { code: 'OUTBOX_CLOSED' });
      await assert.rejects(store.peek(1), { code: 'OUTBOX_CLOSED' });
      await assert.rejects(store.remove([1]), { code: 'OUTBOX_CLOSED' });
    });

    it('reopen keeps unacknowledged records, drops acknowledged ones and continues the id sequence', async (t) => {
      if (!h.reopen) {
        t.skip('not a durable store');
        return;
      }
      const ids: number[] = [];
      for (let i = 0; i < 8; i++)
        ids.push(await store.append(rec(`s${i % 3}`, i, i % 2 ? 'immediate' : 'bestEffort')));
      await store.remove([ids[0]!, ids[3]!, ids[7]!]);
      await store.quarantine(ids[5]!, 'refused');
      const before = store.stats();
      store = await h.reopen();
      const got = await store.peek(100);
      assert.deepEqual(
        got.map((r) => r.id),
        [ids[1], ids[2], ids[4], ids[6]],
      );
      assert.deepEqual(
        got.map((r) => text(r.payload)),
        ['s1#1', 's2#2', 's1#4', 's0#6'],
      );
      const after = store.stats();
      assert.equal(after.depth, before.depth);
      assert.equal(after.bytes, before.bytes);
      assert.deepEqual(after.byEc, before.byEc);
      assert.equal((await store.readQuarantine())[0]?.reason, 'refused');
      const next = await store.append(rec('s', 99));
      assert.ok(next > ids[7]!, `id ${next} must continue after ${ids[7]}`);
      await store.remove(got.map((r) => r.id));
      store = await h.reopen();
      assert.deepEqual(
        (await store.peek(100)).map((r) => r.id),
        [next],
      );
      assert.ok((await store.append(rec('s', 100))) > next);
    });
  });
}
