/**
 * Issue 14, second pass: a record just appended is handed to the uplink from memory (no read
 * back), within a bounded window; acks are fsynced at most once per `ackFsyncIntervalMs`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileOutboxStore } from '../../src/outbox/file-store.js';
import { RECENT_MAX_FRAMES, RecentFrames } from '../../src/outbox/segment-writer.js';
import { ManualClock } from '../../src/util/clock.js';
import { rec } from '../contracts/outbox-store.js';
import { FaultyFileOps } from './fault-file-ops.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = fs.mkdtempSync(join(os.tmpdir(), 'outbox-window-'));
  dirs.push(d);
  return d;
};
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
const text = (b: Uint8Array): string => Buffer.from(b).toString();

describe('FileOutboxStore just-appended window', () => {
  it('hands out a record just appended without reading it back from the file', async () => {
    const ops = new FaultyFileOps();
    const store = await FileOutboxStore.open(tempDir(), { fileOps: ops, clock: new ManualClock() });
    const id = await store.append(rec('s', 7));
    ops.reads = 0;
    const got = await store.peek(1);
    assert.deepEqual(
      got.map((r) => [r.id, text(r.payload)]),
      [[id, 's#7']],
    );
    assert.equal(ops.reads, 0, 'served from memory');
    await store.close();
  });

  it('stays bounded however many records are appended; older ones are read from the file', async () => {
    const ops = new FaultyFileOps();
    const store = await FileOutboxStore.open(tempDir(), { fileOps: ops, clock: new ManualClock() });
    const n = RECENT_MAX_FRAMES * 3;
    const ids: number[] = [];
    for (let i = 0; i < n; i++) ids.push(await store.append(rec('s', i)));
    ops.reads = 0;
    const got = await store.peek(n);
    assert.deepEqual(
      got.map((r) => r.id),
      ids,
    );
    assert.deepEqual(
      got.map((r) => text(r.payload)),
      ids.map((_, i) => `s#${i}`),
    );
    assert.ok(ops.reads >= 1, 'the oldest are no longer in memory');
    await store.close();
  });

  it('RecentFrames keeps at most RECENT_MAX_FRAMES frames and forgets removed ones', () => {
    const w = new RecentFrames();
    for (let i = 1; i <= RECENT_MAX_FRAMES * 2; i++) w.add(i, new Uint8Array(10));
    assert.equal(w.size, RECENT_MAX_FRAMES);
    assert.equal(w.get(1), undefined);
    w.forget(RECENT_MAX_FRAMES * 2);
    assert.equal(w.get(RECENT_MAX_FRAMES * 2), undefined);
  });
});

describe('FileOutboxStore ack fsync batching', () => {
  it('fsyncs acks at most once per ackFsyncIntervalMs; segments every fsyncIntervalMs', async () => {
    const ops = new FaultyFileOps();
    const clock = new ManualClock();
    const store = await FileOutboxStore.open(tempDir(), {
      fileOps: ops,
      clock,
      fsyncIntervalMs: 1000,
      ackFsyncIntervalMs: 5000,
    });
    const settle = async (): Promise<void> => {
      await store.peek(0); // queued behind the timer's fsync
      await store.peek(0); // and behind a rescheduled one
    };
    let id = await store.append(rec('s', 0));
    await store.remove([id]);
    let before = ops.fsyncs;
    clock.advance(1000);
    await settle();
    assert.ok(ops.fsyncs >= before + 2, 'the first batch fsyncs the segment and the ack file');
    // A second, within the ack interval: the segment is fsynced, the ack file is not.
    for (let t = 1; t < 5; t++) {
      id = await store.append(rec('s', t));
      await store.remove([id]);
      before = ops.fsyncs;
      clock.advance(1000);
      await settle();
      assert.equal(ops.fsyncs, before + 1, `second ${t}: only the segment`);
    }
    before = ops.fsyncs;
    clock.advance(1000); // five seconds since the last ack fsync
    await settle();
    assert.equal(ops.fsyncs, before + 1, 'the pending acks are fsynced now');
    before = ops.fsyncs;
    clock.advance(5000);
    await settle();
    assert.equal(ops.fsyncs, before, 'nothing left to fsync');
    await store.close();
  });
});
