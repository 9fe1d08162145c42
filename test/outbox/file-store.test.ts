import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { FileOutboxStore, type FileOutboxStoreOptions } from '../../src/outbox/file-store.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';
import { outboxStoreContract, rec } from '../contracts/outbox-store.js';
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

function segFiles(dir: string, ext = '.log'): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith('seg-') && n.endsWith(ext))
    .sort();
}

outboxStoreContract('FileOutboxStore', async () => {
  const dir = tempDir();
  const h = {
    store: await FileOutboxStore.open(dir),
    reopen: async () => {
      await h.store.close();
      h.store = await FileOutboxStore.open(dir);
      return h.store;
    },
    cleanup: async () => {
      await h.store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
});

describe('FileOutboxStore segments', () => {
  const open = (dir: string, o: FileOutboxStoreOptions = {}) => FileOutboxStore.open(join(dir, 'outbox'), o);

  it('creates the directory, rotates segments at segmentBytes and deletes fully acknowledged ones', async () => {
    const dir = tempDir();
    const store = await open(dir, { segmentBytes: 4096 });
    const sub = join(dir, 'outbox');
    const ids: number[] = [];
    const big = new Uint8Array(900).fill(7);
    for (let i = 0; i < 20; i++) ids.push(await store.append({ ...rec('s', i), payload: big }));
    const files = segFiles(sub);
    assert.ok(files.length >= 5, `expected rotation into several segments, got ${files.join(',')}`);
    for (const f of files) assert.ok(fs.statSync(join(sub, f)).size <= 4096, `${f} over segmentBytes`);
    assert.equal(store.segmentCount(), files.length);

    // Acknowledge all but the last record: every segment before the active one disappears.
    await store.remove(ids.slice(0, 19));
    assert.deepEqual(segFiles(sub), [files[files.length - 1]]);
    assert.deepEqual(segFiles(sub, '.ack').length, 1, 'only the active segment keeps an ack file');
    // Partially acknowledged older segments stay, with their acks.
    await store.remove([ids[19]!]);
    const more: number[] = [];
    for (let i = 0; i < 10; i++) more.push(await store.append({ ...rec('t', i), payload: big }));
    await store.remove([more[0]!, more[1]!]);
    await store.close();
    const reopened = await open(dir, { segmentBytes: 4096 });
    assert.deepEqual(
      (await reopened.peek(100)).map((r) => r.id),
      more.slice(2),
    );
    await reopened.remove(more.slice(2));
    await reopened.close();
    const left = segFiles(sub);
    assert.equal(left.length, 1, `only the (empty) active segment remains: ${left.join(',')}`);
    assert.equal(fs.statSync(join(sub, left[0]!)).size, 8, 'it holds only the header');
  });

  it('names segments after their first id and never reuses an id, even with everything acknowledged', async () => {
    const dir = tempDir();
    let store = await open(dir, { idReserveBlock: 10 });
    const a = await store.append(rec('s', 1));
    await store.remove([a]);
    await store.close();
    store = await open(dir, { idReserveBlock: 10 });
    const b = await store.append(rec('s', 2));
    assert.ok(b > a);
    // More appends than one reservation block: the reservation moves ahead on its own.
    const ids = [];
    for (let i = 0; i < 25; i++) ids.push(await store.append(rec('s', i)));
    await store.close();
    const seq = Number(fs.readFileSync(join(dir, 'outbox', 'seq'), 'utf8'));
    assert.ok(seq > ids[ids.length - 1]!, `reservation ${seq} must lie beyond the last id`);
    store = await open(dir, { idReserveBlock: 10 });
    assert.ok((await store.append(rec('s', 99))) >= seq);
    await store.close();
  });

  it('batches fsyncs on the fsyncIntervalMs timer', async () => {
    const dir = tempDir();
    const clock = new ManualClock();
    const ops = new FaultyFileOps();
    const store = await open(dir, { clock, fileOps: ops, fsyncIntervalMs: 1000 });
    const base = ops.fsyncs;
    for (let i = 0; i < 10; i++) await store.append(rec('s', i));
    assert.equal(ops.fsyncs, base, 'no fsync before the interval');
    assert.equal(clock.pendingTimers(), 1, 'one timer for the whole batch');
    clock.advance(1000);
    await store.sync(); // queued behind the timer's fsync
    assert.ok(ops.fsyncs > base, 'the timer fsynced');
    await store.close();
    assert.equal(clock.pendingTimers(), 0, 'close leaves no timer behind');
  });

  it('with fsyncIntervalMs 0 fsyncs before each append resolves', async () => {
    const dir = tempDir();
    const ops = new FaultyFileOps();
    const store = await open(dir, { fileOps: ops, fsyncIntervalMs: 0 });
    for (let i = 0; i < 5; i++) {
      const before = ops.fsyncs;
      await store.append(rec('s', i));
      assert.ok(ops.fsyncs > before, `append ${i} resolved without an fsync`);
    }
    await store.close();
  });

  it('bounds the quarantine area to two generations', async () => {
    const dir = tempDir();
    const store = await open(dir, { maxQuarantineBytes: 600 });
    const payload = new Uint8Array(150);
    const ids = [];
    for (let i = 0; i < 12; i++) ids.push(await store.append({ ...rec('s', i), payload }));
    for (const id of ids) await store.quarantine(id, 'no');
    const q = await store.readQuarantine();
    assert.ok(q.length > 0 && q.length < 12, `kept ${q.length}`);
    assert.deepEqual(
      q.map((r) => r.id),
      ids.slice(12 - q.length),
      'the newest are kept, in order',
    );
    assert.equal(store.stats().quarantined, 12);
    const bytes = ['quarantine.log', 'quarantine.1.log'].map((f) => fs.statSync(join(dir, 'outbox', f)).size);
    assert.ok(
      bytes.every((b) => b <= 600),
      `generations ${bytes.join(',')} over the bound`,
    );
    await store.close();
  });

  it('removes leftover temp and orphan ack files at open and logs what it found', async () => {
    const dir = tempDir();
    const sub = join(dir, 'outbox');
    let store = await open(dir);
    await store.append(rec('s', 1));
    await store.close();
    fs.writeFileSync(join(sub, '.seq.tmp'), 'x');
    fs.writeFileSync(join(sub, 'seg-0000000000000000.ack'), 'orphan');
    const log = memoryLogger();
    store = await open(dir, { logger: log });
    assert.equal(store.stats().depth, 1);
    assert.ok(!fs.readdirSync(sub).some((n) => n.endsWith('.tmp') || n === 'seg-0000000000000000.ack'));
    assert.ok(log.lines.some((l) => l.msg === 'outbox opened' && l.fields.depth === 1));
    await store.close();
  });

  it('keeps memory per record small: the index grows by typed arrays, not objects', async () => {
    const dir = tempDir();
    const store = await open(dir);
    const empty = store.indexMemoryBytes();
    const appends = [];
    for (let i = 0; i < 5000; i++) appends.push(store.append(rec('s', i)));
    await Promise.all(appends);
    const per = (store.indexMemoryBytes() - empty) / 5000;
    assert.ok(per > 0 && per < 120, `index costs ${per.toFixed(1)} bytes per record`);
    await store.remove((await store.peek(5000)).map((r) => r.id));
    assert.equal(store.indexMemoryBytes(), empty, 'memory is given back once drained');
    await store.close();
  });
});

describe('FileOutboxStore draining I/O', () => {
  const text = (b: Uint8Array): string => new TextDecoder().decode(b);
  const setup = async (n: number, o: FileOutboxStoreOptions = {}) => {
    const ops = new FaultyFileOps();
    const dir = join(tempDir(), 'outbox');
    const store = await FileOutboxStore.open(dir, { fileOps: ops, ...o });
    const ids = await Promise.all(Array.from({ length: n }, (_, i) => store.append(rec('s', i))));
    await store.sync(); // synced: read back from the file, no longer from the just-appended window
    return { ops, store, ids, dir };
  };

  it('reads a run of contiguous records with one read and serves the next peeks from it', async () => {
    const { ops, store, ids } = await setup(40);
    ops.reads = 0;
    const first = await store.peek(10);
    assert.equal(ops.reads, 1, 'ten records back to back: one read');
    const rest = await store.peek(30, { skip: new Set(first.map((r) => r.id)) });
    assert.equal(ops.reads, 1, 'the records after them come from the same read');
    assert.deepEqual(
      first.concat(rest).map((r) => r.id),
      ids,
    );
    assert.deepEqual(
      rest.map((r) => text(r.payload)),
      ids.slice(10).map((_, i) => `s#${i + 10}`),
    );
    await store.close();
  });

  it('hands out payloads of their own and reads records appended after a read correctly', async () => {
    const { ops, store, ids } = await setup(3);
    const [a] = await store.peek(1);
    a!.payload.fill(0x21); // the caller's copy: must not change what the store reads back
    const more = [await store.append(rec('s', 3)), await store.append(rec('s', 4))];
    await store.sync();
    ops.reads = 0;
    const all = await store.peek(10);
    assert.deepEqual(
      all.map((r) => r.id),
      ids.concat(more),
    );
    assert.deepEqual(
      all.map((r) => text(r.payload)),
      ['s#0', 's#1', 's#2', 's#3', 's#4'],
    );
    assert.ok(ops.reads >= 1, 'records appended after the buffered read are read from the file');
    await store.close();
  });

  it('remove takes records out at once; the removals of one turn share one ack write', async () => {
    const { ops, store, ids, dir } = await setup(20);
    ops.writes.length = 0;
    const removals = ids.map((id) => store.remove([id]));
    assert.equal(store.stats().depth, 0, 'gone from the index before the acks are written');
    assert.equal(store.meta(ids[0]!), undefined);
    assert.deepEqual(await store.peek(5), []);
    assert.deepEqual(await Promise.all(removals), Array<number>(20).fill(1));
    assert.equal(ops.writes.filter((p) => p.endsWith('.ack')).length, 1, `writes: ${ops.writes.join(', ')}`);
    assert.equal(store.stats().delivered, 20);
    await store.close();
    const reopened = await FileOutboxStore.open(dir);
    assert.equal(reopened.stats().depth, 0, 'the acks were written before the removals resolved');
    await reopened.close();
  });

  it('with fsyncIntervalMs 0 fsyncs the acks before the removals resolve', async () => {
    const { ops, store, ids } = await setup(4, { fsyncIntervalMs: 0 });
    const before = ops.fsyncs;
    await Promise.all(ids.slice(0, 3).map((id) => store.remove([id])));
    assert.ok(ops.fsyncs > before, 'an fsync ran before the removals resolved');
    await store.close();
  });
});
