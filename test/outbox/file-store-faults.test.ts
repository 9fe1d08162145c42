/**
 * The file store under damage: torn and corrupt records, a power cut, a full disk, I/O errors and
 * an unwritable directory. Real files in a temp dir; faults injected through FileOps.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileOutboxStore, type FileOutboxStoreOptions } from '../../src/outbox/file-store.js';
import { Outbox } from '../../src/outbox/outbox.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';
import { rec } from '../contracts/outbox-store.js';
import { FaultyFileOps } from './fault-file-ops.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = fs.mkdtempSync(os.tmpdir() + '/m2m-');
  dirs.push(d);
  return d;
}
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const text = (p: Uint8Array): string => new TextDecoder().decode(p);

/** The only non-empty segment file of `dir`. */
function dataSegment(dir: string): string {
  const segs = fs.readdirSync(dir).filter((n) => n.endsWith('.log') && n.startsWith('seg-'));
  const full = segs.map((n) => join(dir, n)).filter((p) => fs.statSync(p).size > 8);
  assert.equal(full.length, 1, `expected one data segment, got ${segs.join(',')}`);
  return full[0]!;
}

/** Appends records s#0..s#n-1 and closes; returns their ids and frame sizes. */
async function writeRecords(
  dir: string,
  n: number,
  opts: FileOutboxStoreOptions = {},
): Promise<{ ids: number[]; sizes: number[] }> {
  const store = await FileOutboxStore.open(dir, opts);
  const ids: number[] = [];
  const sizes: number[] = [];
  for (let i = 0; i < n; i++) {
    ids.push(await store.append(rec('s', i)));
    sizes.push(store.sizeOf(rec('s', i)));
  }
  await store.close();
  return { ids, sizes };
}

describe('FileOutboxStore recovery', () => {
  it('a torn last record (segment cut mid-record) is dropped; everything before it is recovered', async () => {
    const dir = tempDir();
    const { ids } = await writeRecords(dir, 5);
    const seg = dataSegment(dir);
    fs.truncateSync(seg, fs.statSync(seg).size - 10);
    const log = memoryLogger();
    let store = await FileOutboxStore.open(dir, { logger: log });
    assert.deepEqual(
      (await store.peek(10)).map((r) => r.id),
      ids.slice(0, 4),
    );
    assert.equal(store.stats().tornRecovered, 1);
    assert.ok(
      log.lines.some((l) => l.level === 'warn' && /torn tail/.test(l.msg)),
      'the torn tail is logged',
    );
    const added = await store.append(rec('s', 9));
    await store.close();
    store = await FileOutboxStore.open(dir);
    assert.equal(store.stats().tornRecovered, 0, 'the tail was cut off once and for all');
    assert.deepEqual(
      (await store.peek(10)).map((r) => r.id),
      [...ids.slice(0, 4), added],
    );
    await store.close();
  });

  it('a record cut inside its length prefix, or trailing zeros after a power cut, count as a torn tail', async () => {
    for (const damage of ['prefix', 'zeros'] as const) {
      const dir = tempDir();
      const { ids, sizes } = await writeRecords(dir, 3);
      const seg = dataSegment(dir);
      const size = fs.statSync(seg).size;
      if (damage === 'prefix') fs.truncateSync(seg, size - sizes[2]! + 3);
      else fs.appendFileSync(seg, new Uint8Array(700));
      const store = await FileOutboxStore.open(dir);
      const expect = damage === 'prefix' ? ids.slice(0, 2) : ids;
      assert.deepEqual(
        (await store.peek(10)).map((r) => r.id),
        expect,
        damage,
      );
      assert.equal(store.stats().tornRecovered, 1, damage);
      assert.equal(store.stats().corrupt, 0, damage);
      await store.close();
    }
  });

  it('a flipped byte in the middle record: that record is counted as corrupt and skipped, the rest recovered', async () => {
    const dir = tempDir();
    const { ids, sizes } = await writeRecords(dir, 3);
    const seg = dataSegment(dir);
    const buf = fs.readFileSync(seg);
    buf[8 + sizes[0]! + sizes[1]! - 2]! ^= 0x40; // inside record 2's payload
    fs.writeFileSync(seg, buf);
    const log = memoryLogger();
    const store = await FileOutboxStore.open(dir, { logger: log });
    const got = await store.peek(10);
    assert.deepEqual(
      got.map((r) => r.id),
      [ids[0], ids[2]],
    );
    assert.deepEqual(
      got.map((r) => text(r.payload)),
      ['s#0', 's#2'],
    );
    assert.equal(store.stats().corrupt, 1);
    assert.equal(store.stats().tornRecovered, 0);
    assert.ok(log.lines.some((l) => l.level === 'warn' && /corrupt/.test(l.msg)));
    await store.close();
  });

  it('a flipped byte in a length prefix: resynchronises on the next valid record', async () => {
    const dir = tempDir();
    const { ids, sizes } = await writeRecords(dir, 4);
    const seg = dataSegment(dir);
    const buf = fs.readFileSync(seg);
    buf[8 + sizes[0]! + 3]! ^= 0x7f; // high byte of record 2's length: an impossible length
    fs.writeFileSync(seg, buf);
    const store = await FileOutboxStore.open(dir);
    assert.deepEqual(
      (await store.peek(10)).map((r) => r.id),
      [ids[0], ids[2], ids[3]],
    );
    assert.equal(store.stats().corrupt, 1);
    await store.close();
  });

  it('a record damaged after start-up is detected when read back, dropped and counted', async () => {
    const dir = tempDir();
    const store = await FileOutboxStore.open(dir);
    const ids = [await store.append(rec('s', 0)), await store.append(rec('s', 1))];
    await store.sync();
    const seg = dataSegment(dir);
    const buf = fs.readFileSync(seg);
    buf[buf.length - store.sizeOf(rec('s', 1)) - 2]! ^= 1; // payload of record 0
    fs.writeFileSync(seg, buf);
    assert.deepEqual(
      (await store.peek(10)).map((r) => r.id),
      [ids[1]],
    );
    assert.equal(store.stats().corrupt, 1);
    assert.equal(store.stats().depth, 1);
    await store.close();
  });
});

describe('FileOutboxStore power cut', () => {
  it('loses at most what was appended after the last fsync; the rest is intact and ids are not reused', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const ops = new FaultyFileOps();
    const store = await FileOutboxStore.open(dir, {
      clock,
      fileOps: ops,
      fsyncIntervalMs: 1000,
      idReserveBlock: 8,
    });
    const synced: number[] = [];
    for (let i = 0; i < 10; i++) synced.push(await store.append(rec('s', i)));
    await store.remove([synced[0]!]); // acknowledged before the fsync: stays acknowledged
    clock.advance(1000); // the batched fsync fires...
    await store.peek(0); // ...and has run once an operation queued behind it completes
    const unsynced: number[] = [];
    for (let i = 10; i < 15; i++) unsynced.push(await store.append(rec('s', i)));
    await store.remove([synced[1]!]); // acknowledged after the fsync: may come back (at least once)
    ops.cut();
    await store.close(); // every call fails now (EIO); close logs and returns

    const reopened = await FileOutboxStore.open(dir);
    const got = await reopened.peek(100);
    const present = new Set(got.map((r) => r.id));
    for (const id of synced.slice(2)) assert.ok(present.has(id), `synced record ${id} lost`);
    assert.ok(!present.has(synced[0]!), 'an ack that was fsynced holds');
    assert.ok(present.has(synced[1]!), 'an ack after the last fsync is lost: the record is sent again');
    const lost = unsynced.filter((id) => !present.has(id));
    assert.ok(lost.length <= unsynced.length, 'only records from the last interval may be lost');
    assert.equal(lost.length, unsynced.length, 'this simulated cut drops every unsynced byte');
    for (const r of got) assert.equal(text(r.payload), `s#${synced.concat(unsynced).indexOf(r.id)}`);
    const fresh = await reopened.append(rec('s', 99));
    assert.ok(fresh > Math.max(...unsynced), `id ${fresh} reuses an id handed out before the cut`);
    await reopened.close();
  });

  it('with fsyncIntervalMs 0 a power cut loses nothing that was appended', async () => {
    const dir = tempDir();
    const ops = new FaultyFileOps();
    const store = await FileOutboxStore.open(dir, { fileOps: ops, fsyncIntervalMs: 0 });
    const ids: number[] = [];
    for (let i = 0; i < 6; i++) ids.push(await store.append(rec('s', i)));
    ops.cut();
    await store.close();
    const reopened = await FileOutboxStore.open(dir);
    assert.deepEqual(
      (await reopened.peek(10)).map((r) => r.id),
      ids,
    );
    await reopened.close();
  });
});

describe('FileOutboxStore write errors', () => {
  it('a failed (short) write is cut back, reported as OUTBOX_NO_SPACE / OUTBOX_IO, and later appends work', async () => {
    const dir = tempDir();
    const ops = new FaultyFileOps();
    const store = await FileOutboxStore.open(dir, { fileOps: ops });
    const a = await store.append(rec('s', 0));
    await store.sync();
    const seg = dataSegment(dir);
    const size = fs.statSync(seg).size;
    ops.quotaBytes = ops.usedBytes() + 20; // room for 20 bytes: a short write, then ENOSPC
    await assert.rejects(store.append(rec('s', 1)), { code: 'OUTBOX_NO_SPACE' });
    assert.equal(fs.statSync(seg).size, size, 'the partial frame was cut off');
    ops.quotaBytes = undefined;
    ops.fail('write', 'EIO', { path: /seg-/ });
    await assert.rejects(store.append(rec('s', 2)), { code: 'OUTBOX_IO' });
    const c = await store.append(rec('s', 3));
    await store.close();
    const reopened = await FileOutboxStore.open(dir);
    assert.deepEqual(
      (await reopened.peek(10)).map((r) => text(r.payload)),
      ['s#0', 's#3'],
    );
    assert.deepEqual(
      (await reopened.peek(10)).map((r) => r.id),
      [a, c],
    );
    assert.equal(reopened.stats().tornRecovered + reopened.stats().corrupt, 0);
    await reopened.close();
  });

  it('a read error surfaces as OUTBOX_IO and leaves the record in place', async () => {
    const dir = tempDir();
    const ops = new FaultyFileOps();
    const store = await FileOutboxStore.open(dir, { fileOps: ops });
    const id = await store.append(rec('s', 0));
    await store.sync(); // synced: read back from the file, no longer from the just-appended window
    ops.fail('read', 'EIO');
    await assert.rejects(store.peek(1), { code: 'OUTBOX_IO' });
    assert.deepEqual(
      (await store.peek(1)).map((r) => r.id),
      [id],
    );
    await store.close();
  });

  it('disk full under the Outbox: oldest bestEffort entries go first, counted; appends keep working', async () => {
    const dir = tempDir();
    const ops = new FaultyFileOps();
    const log = memoryLogger();
    const store = await FileOutboxStore.open(dir, { fileOps: ops, segmentBytes: 4096 });
    const outbox = new Outbox(store, {
      maxBytes: 1e9,
      maxAgeSeconds: 0,
      clock: new ManualClock(),
      bootId: 'b',
      logger: log,
    });
    const payload = new Uint8Array(300);
    const immediates: number[] = [];
    for (let i = 0; i < 12; i++)
      immediates.push(await outbox.append({ stream: 'alarm', ec: 'immediate', payload }));
    ops.quotaBytes = ops.usedBytes() + 5 * 4096; // the disk fills after about five more segments
    const ids: number[] = [];
    for (let i = 0; i < 120; i++)
      ids.push(await outbox.append({ stream: 'temp', ec: 'bestEffort', payload }));
    const s = outbox.stats();
    assert.ok(s.evictedForSpace > 0 && s.evicted === s.evictedForSpace, `evicted ${s.evicted}`);
    const held = new Set<number>();
    store.scan((m) => void held.add(m.id));
    for (const id of immediates) assert.ok(held.has(id), `immediate ${id} was evicted`);
    assert.ok(held.has(ids[ids.length - 1]!), 'the newest entry is held');
    const evicted = ids.filter((id) => !held.has(id));
    assert.deepEqual(evicted, ids.slice(0, evicted.length), 'evicted oldest first');
    assert.ok(
      log.lines.some((l) => l.level === 'warn' && /disk full/.test(l.msg)),
      'eviction is logged',
    );
    assert.ok(ops.usedBytes() <= ops.quotaBytes);

    // Delivered: the current segment holds nothing any more, so it is cut back and takes the entry.
    await store.remove(ids);
    ops.quotaBytes = ops.usedBytes();
    await outbox.append({ stream: 'temp', ec: 'bestEffort', payload });
    // Nothing evictable left for a bestEffort entry once only immediates remain: OUTBOX_FULL.
    ops.quotaBytes = ops.usedBytes();
    await assert.rejects(outbox.append({ stream: 'temp', ec: 'bestEffort', payload }), {
      code: 'OUTBOX_FULL',
    });
    await assert.rejects(outbox.append({ stream: 'temp', ec: 'bestEffort', payload }), {
      code: 'OUTBOX_FULL',
    });
    assert.equal(outbox.stats().refusedFull, 2);
    assert.equal(log.lines.filter((l) => /refusing new entries/.test(l.msg)).length, 1, 'logged once');
    assert.equal(outbox.stats().byEc.immediate, immediates.length);
    await outbox.close();
  });
});

describe('FileOutboxStore directory checks', () => {
  it('a directory that cannot be created fails at open with OUTBOX_DIR_UNWRITABLE', async () => {
    const dir = tempDir();
    fs.writeFileSync(join(dir, 'file'), 'x');
    await assert.rejects(FileOutboxStore.open(join(dir, 'file', 'outbox')), (err: unknown) => {
      assert.equal((err as { code?: string }).code, 'OUTBOX_DIR_UNWRITABLE');
      assert.match((err as Error).message, /file\/outbox/);
      return true;
    });
  });

  it('a directory that refuses writes fails at open with OUTBOX_DIR_UNWRITABLE', async () => {
    const ops = new FaultyFileOps();
    ops.fail('open', 'EACCES', { path: /\.probe-/ });
    await assert.rejects(FileOutboxStore.open(tempDir(), { fileOps: ops }), {
      code: 'OUTBOX_DIR_UNWRITABLE',
    });
  });

  it('a read-only directory (permissions) fails at open', async (t) => {
    if (process.getuid?.() === 0) {
      t.skip('running as root: permissions do not stop root; the injected EACCES test covers this path');
      return;
    }
    const dir = tempDir();
    fs.chmodSync(dir, 0o500);
    try {
      await assert.rejects(FileOutboxStore.open(dir), { code: 'OUTBOX_DIR_UNWRITABLE' });
    } finally {
      fs.chmodSync(dir, 0o700);
    }
  });

  it('a full disk at start is not "unwritable": the store opens', async () => {
    const ops = new FaultyFileOps();
    ops.fail('write', 'ENOSPC', { times: 4 }); // the probe, the id reservation, the reserve file, then the first append
    const dir = tempDir();
    const store = await FileOutboxStore.open(dir, { fileOps: ops });
    assert.equal(store.stats().depth, 0);
    await assert.rejects(store.append(rec('s', 1)), { code: 'OUTBOX_NO_SPACE' });
    const id = await store.append(rec('s', 2)); // space again: it recovers by itself
    assert.deepEqual(
      (await store.peek(5)).map((r) => r.id),
      [id],
    );
    await store.close();
    assert.ok(!fs.readdirSync(dir).some((n) => n.endsWith('.tmp')), 'no temp file left behind');
  });
});
