/**
 * The durable outbox: append rate (records/s, 200-byte payloads, through `Outbox` over the file
 * store) with the default fsync batching and with an fsync per record; the same with 16 producers
 * at once (concurrent appends are coalesced into one write); the drain side (next + ack); and the
 * memory a backlog costs: RSS and heap before and after buffering 100k records (1M with
 * `--full`), the index's bytes per record, and the time to reopen (replay) that backlog.
 * Goal (design.md): memory flat within ~10 MB beyond the index, whatever the backlog. The heap
 * figures (after forced gc, array buffers included) are the steady ones; RSS also moves with what
 * earlier benches in the same process left for the allocator to return.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { FileOutboxStore, type FileOutboxStoreOptions } from '../../src/outbox/file-store.js';
import { Outbox } from '../../src/outbox/outbox.js';
import type { Bench, BenchOptions, Figure } from './types.js';

const PAYLOAD = new Uint8Array(200).fill(0x61);
const MB = 1024 * 1024;

function tempDir(): string {
  return fs.mkdtempSync(os.tmpdir() + '/m2m-bench-');
}

async function openOutbox(
  dir: string,
  opts: FileOutboxStoreOptions = {},
): Promise<{ outbox: Outbox; store: FileOutboxStore }> {
  const store = await FileOutboxStore.open(dir, opts);
  const outbox = new Outbox(store, { maxBytes: 64 * 1024 * MB, maxAgeSeconds: 0 });
  return { outbox, store };
}

/** Appends for `ms` with `producers` concurrent loops; returns records per second. */
async function appendRate(outbox: Outbox, ms: number, producers: number): Promise<number> {
  let count = 0;
  const t0 = performance.now();
  const end = t0 + ms;
  await Promise.all(
    Array.from({ length: producers }, async (_, i) => {
      while (performance.now() < end) {
        await outbox.append({ stream: `dev${i}`, ec: 'bestEffort', payload: PAYLOAD });
        count++;
      }
    }),
  );
  return count / ((performance.now() - t0) / 1000);
}

/** A gc() function, if V8 lets us have one (for steadier memory figures). */
function gcFunction(): (() => void) | undefined {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    if (typeof gc !== 'function') return undefined;
    return () => {
      (gc as () => void)();
    };
  } catch {
    return undefined;
  }
}

function memory(gc: (() => void) | undefined): { rss: number; heap: number } {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.arrayBuffers };
}

async function rates(o: BenchOptions): Promise<Figure[]> {
  const ms = o.full ? 4000 : 1500;
  const out: Figure[] = [];
  const run = async (
    name: string,
    fsyncIntervalMs: number,
    producers: number,
    baseline?: number,
  ): Promise<number> => {
    const dir = tempDir();
    try {
      const { outbox } = await openOutbox(dir, { fsyncIntervalMs });
      const r = await appendRate(outbox, ms, producers);
      await outbox.close();
      out.push({
        name,
        value: Math.round(r),
        unit: 'records/s',
        ...(baseline ? { baseline: Math.round(baseline), ratio: r / baseline } : {}),
      });
      o.note(`${name}: ${Math.round(r)} records/s`);
      return r;
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const batched = await run('outbox.append.batched', 1000, 1);
  await run('outbox.append.fsync-each', 0, 1, batched);
  await run('outbox.append.batched.16-producers', 1000, 16, batched);
  return out;
}

async function drainRate(o: BenchOptions): Promise<Figure[]> {
  const dir = tempDir();
  try {
    const { outbox } = await openOutbox(dir);
    const n = o.full ? 100_000 : 20_000;
    for (let i = 0; i < n; i++)
      await outbox.append({ stream: `dev${i % 8}`, ec: 'bestEffort', payload: PAYLOAD });
    const t0 = performance.now();
    const inFlight = new Set<number>();
    let drained = 0;
    for (;;) {
      const batch = await outbox.next(16, inFlight);
      if (batch.length === 0) break;
      for (const e of batch) await outbox.ack(e.id);
      drained += batch.length;
    }
    const r = drained / ((performance.now() - t0) / 1000);
    await outbox.close();
    o.note(`outbox.drain.next-ack: ${Math.round(r)} records/s over ${drained}`);
    return [{ name: 'outbox.drain.next-ack', value: Math.round(r), unit: 'records/s' }];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function backlogMemory(o: BenchOptions): Promise<Figure[]> {
  const n = o.full ? 1_000_000 : 100_000;
  const tag = o.full ? '1M' : '100k';
  const gc = gcFunction();
  const dir = tempDir();
  try {
    let { outbox, store } = await openOutbox(dir);
    const before = memory(gc);
    const emptyIndex = store.indexMemoryBytes();
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      await outbox.append({
        stream: `dev${i % 16}`,
        ec: i % 10 === 0 ? 'immediate' : 'bestEffort',
        payload: PAYLOAD,
      });
      if (i % 200_000 === 199_999) o.note(`  ${i + 1} records buffered`);
    }
    const appendS = (performance.now() - t0) / 1000;
    const after = memory(gc);
    const indexBytes = store.indexMemoryBytes() - emptyIndex;
    await outbox.close();
    const t1 = performance.now();
    ({ outbox, store } = await openOutbox(dir));
    const reopenMs = performance.now() - t1;
    const depth = store.stats().depth;
    const reopened = memory(gc);
    await outbox.close();
    if (depth !== n) throw new Error(`reopen found ${depth} records, expected ${n}`);
    const rssGrowth = (after.rss - before.rss) / MB;
    const beyondIndex = (after.rss - before.rss - indexBytes) / MB;
    o.note(`  ${n} records in ${appendS.toFixed(1)} s; gc ${gc ? 'forced' : 'not available'}`);
    return [
      { name: `outbox.backlog.${tag}.rss-before`, value: before.rss / MB, unit: 'MB' },
      { name: `outbox.backlog.${tag}.rss-after`, value: after.rss / MB, unit: 'MB' },
      { name: `outbox.backlog.${tag}.rss-growth`, value: rssGrowth, unit: 'MB' },
      { name: `outbox.backlog.${tag}.heap-growth`, value: (after.heap - before.heap) / MB, unit: 'MB' },
      { name: `outbox.backlog.${tag}.index`, value: indexBytes / MB, unit: 'MB' },
      { name: 'outbox.backlog.index-per-record', value: indexBytes / n, unit: 'bytes' },
      { name: `outbox.backlog.${tag}.rss-beyond-index`, value: beyondIndex, unit: 'MB' },
      {
        name: `outbox.backlog.${tag}.heap-beyond-index`,
        value: (after.heap - before.heap - indexBytes) / MB,
        unit: 'MB',
      },
      { name: `outbox.backlog.${tag}.reopen`, value: reopenMs, unit: 'ms' },
      { name: `outbox.backlog.${tag}.rss-after-reopen`, value: reopened.rss / MB, unit: 'MB' },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The outbox bench (`npm run bench -- outbox`). */
export const outboxBench: Bench = {
  name: 'outbox',
  async run(o: BenchOptions): Promise<Figure[]> {
    return [...(await rates(o)), ...(await drainRate(o)), ...(await backlogMemory(o))];
  },
};
