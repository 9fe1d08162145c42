/**
 * The Outbox over the file store when appends arrive together, as they do when several devices
 * are sampled at one instant: they share one write, keep their call order, and a disk that fills
 * in the middle of them loses none.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { after, describe, it } from 'node:test';
import { FileOutboxStore } from '../../src/outbox/file-store.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';
import { FaultyFileOps } from './fault-file-ops.js';

const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function setup(maxBytes = 1e9) {
  const dir = fs.mkdtempSync(os.tmpdir() + '/m2m-');
  dirs.push(dir);
  const ops = new FaultyFileOps();
  const log = memoryLogger();
  const store = await FileOutboxStore.open(dir, { fileOps: ops, segmentBytes: 4096 });
  const outbox = new Outbox(store, {
    maxBytes,
    maxAgeSeconds: 0,
    clock: new ManualClock(),
    bootId: 'b',
    logger: log,
  });
  return { dir, ops, log, store, outbox };
}

const segmentWrites = (ops: FaultyFileOps): number =>
  ops.writes.filter((p) => /seg-[^/]*\.log$/.test(p)).length;

describe('Outbox appends arriving together', () => {
  it('ten appends of one tick share one segment write and keep their call order', async () => {
    const { ops, store, outbox } = await setup();
    await outbox.append({ stream: 'warm-up', ec: 'bestEffort', payload: new Uint8Array(8) });
    ops.writes.length = 0;
    const payload = (i: number): Uint8Array => new TextEncoder().encode(`reading ${i}`);
    const ids = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        outbox.append({ stream: `dev-${i}`, ec: 'bestEffort', payload: payload(i) }),
      ),
    );
    assert.equal(segmentWrites(ops), 1, `writes: ${ops.writes.join(', ')}`);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
      'ids in call order',
    );
    const next = await outbox.next(20);
    assert.deepEqual(
      next.slice(1).map((e) => new TextDecoder().decode(e.payload)),
      Array.from({ length: 10 }, (_, i) => `reading ${i}`),
    );
    await outbox.close();
    const reopened = await FileOutboxStore.open(store.dir);
    assert.equal(reopened.stats().depth, 11, 'all written before the appends resolved');
    await reopened.close();
  });

  it('appends of one tick past maxBytes evict older entries: the bound holds', async () => {
    const probe = await setup();
    const unit = probe.store.sizeOf({
      stream: 's',
      ec: 'bestEffort',
      createdWallMs: 0,
      createdMonoMs: 0,
      bootId: 'b',
      payload: new Uint8Array(50),
    });
    await probe.outbox.close();
    const { store, outbox } = await setup(unit * 8);
    const put = (): Promise<number> =>
      outbox.append({ stream: 's', ec: 'bestEffort', payload: new Uint8Array(50) });
    const first = await Promise.all(Array.from({ length: 6 }, put));
    const second = await Promise.all(Array.from({ length: 6 }, put));
    const held: number[] = [];
    store.scan((m) => void held.push(m.id));
    assert.deepEqual(held, [...first.slice(4), ...second], 'the four oldest evicted, nothing else');
    assert.ok(store.stats().bytes <= unit * 8, `stored ${store.stats().bytes} bytes`);
    await outbox.close();
  });

  it('a disk that fills in the middle of one tick: every append is stored (oldest evicted) or refused, none lost', async () => {
    const { ops, store, outbox } = await setup();
    const payload = new Uint8Array(300);
    for (let i = 0; i < 20; i++) await outbox.append({ stream: 'old', ec: 'bestEffort', payload });
    ops.quotaBytes = ops.usedBytes() + 1000; // room for about three more records
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) => outbox.append({ stream: `dev-${i}`, ec: 'immediate', payload })),
    );
    const stored = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    assert.equal(stored.length, 10, `refused: ${results.filter((r) => r.status === 'rejected').length}`);
    const held = new Set<number>();
    store.scan((m) => void held.add(m.id));
    for (const id of stored) assert.ok(held.has(id), `appended ${id} is not held`);
    assert.ok(outbox.stats().evictedForSpace > 0, 'older bestEffort entries made the room');
    const devices: string[] = [];
    store.scan((m) => {
      if (m.stream.startsWith('dev-')) devices.push(m.stream);
    });
    assert.deepEqual(devices.sort(), Array.from({ length: 10 }, (_, i) => `dev-${i}`).sort());
    await outbox.close();
  });
});
