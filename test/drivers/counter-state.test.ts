import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimDriver } from '../../src/drivers/sim.js';
import { runRecordFile } from '../../src/drivers/run-records.js';
import { recordingContext } from './context.js';

function stateDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-counter-'));
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

async function counter(dir: string, bootId: string): Promise<SimDriver> {
  const d = new SimDriver({ waveform: 'counter' }, { stateDir: dir, stateKey: 'c', bootId });
  await d.open(recordingContext());
  return d;
}

async function values(d: SimDriver, n: number): Promise<(number | undefined)[]> {
  const out: (number | undefined)[] = [];
  for (let i = 0; i < n; i++) out.push((await d.sample())[0]?.v);
  return out;
}

const durable = (dir: string): unknown =>
  JSON.parse(fs.readFileSync(path.join(dir, 'drivers', 'sim-c.json'), 'utf8'));

test('values cost no durable write each: the fsynced file holds a reservation ahead of them', async (t) => {
  const dir = stateDir(t);
  const d = await counter(dir, 'boot-1');
  assert.deepEqual(await values(d, 5), [0, 1, 2, 3, 4]);
  assert.deepEqual(durable(dir), { last: 100 }, 'written once, for the next 100 values');
  assert.deepEqual(
    await values(d, 96),
    Array.from({ length: 96 }, (_, i) => 5 + i),
  );
  assert.deepEqual(durable(dir), { last: 100 });
  await values(d, 1); // 101 passes the reservation: 101 + 100
  assert.deepEqual(durable(dir), { last: 201 });
});

test('a crash (no close) in the same boot goes on without a gap', async (t) => {
  const dir = stateDir(t);
  const a = await counter(dir, 'boot-1');
  await values(a, 3); // 0 1 2, then the process dies: no close
  const b = await counter(dir, 'boot-1');
  assert.deepEqual(await values(b, 2), [3, 4]);
});

test('after a power cut (another boot) it goes on after the reservation: a gap, never a repeat', async (t) => {
  const dir = stateDir(t);
  const a = await counter(dir, 'boot-1');
  await values(a, 3);
  const b = await counter(dir, 'boot-2');
  assert.deepEqual(await values(b, 1), [101]);
});

test('a torn exact-value file falls back to the reservation', async (t) => {
  const dir = stateDir(t);
  const a = await counter(dir, 'boot-1');
  await values(a, 3);
  fs.writeFileSync(path.join(dir, 'drivers', 'counters.run'), '{"key":"sim-c","last":');
  const b = await counter(dir, 'boot-1');
  assert.deepEqual(await values(b, 1), [101]);
});

test('a clean close makes the durable value exact, so a reboot leaves no gap', async (t) => {
  const dir = stateDir(t);
  const a = await counter(dir, 'boot-1');
  await values(a, 3);
  await a.close();
  assert.deepEqual(durable(dir), { last: 2 });
  const b = await counter(dir, 'boot-2');
  assert.deepEqual(await values(b, 1), [3]);
});

test('a state file of the first format (exact value, fsynced) is read as a reservation', async (t) => {
  const dir = stateDir(t);
  fs.mkdirSync(path.join(dir, 'drivers'));
  fs.writeFileSync(path.join(dir, 'drivers', 'sim-c.json'), '{"last":41}\n');
  const b = await counter(dir, 'boot-1');
  assert.deepEqual(await values(b, 1), [42]);
});

test('counters sampled at the same instant write their exact values in one write, each in its own line', async (t) => {
  const dir = stateDir(t);
  const ids = ['a', 'b', 'c'];
  const drivers = await Promise.all(
    ids.map(async (key) => {
      const d = new SimDriver({ waveform: 'counter' }, { stateDir: dir, stateKey: key, bootId: 'boot-1' });
      await d.open(recordingContext());
      return d;
    }),
  );
  await Promise.all(drivers.map((d) => d.sample())); // first values: reservations, file opened
  const file = runRecordFile(path.join(dir, 'drivers'));
  const before = file.writes;
  const second = await Promise.all(drivers.map((d) => d.sample()));
  assert.deepEqual(
    second.map((r) => r[0]?.v),
    [1, 1, 1],
  );
  assert.equal(file.writes - before, 1, 'one write for the three values of one instant');
  // A crash now (no close): each counter, restarted in the same boot, goes on without a gap.
  for (const key of ids) {
    const again = new SimDriver({ waveform: 'counter' }, { stateDir: dir, stateKey: key, bootId: 'boot-1' });
    await again.open(recordingContext());
    assert.deepEqual((await again.sample())[0]?.v, 2, key);
  }
});

test('a shorter run-record file is cut after the rewrite; stale lines after it never win', async (t) => {
  const dir = stateDir(t);
  fs.mkdirSync(path.join(dir, 'drivers'));
  const stale = JSON.stringify({ key: 'sim-c', last: 1, boot: 'boot1' });
  // A torn line first (power cut), then an older record of the same counter.
  fs.writeFileSync(
    path.join(dir, 'drivers', 'counters.run'),
    `{"key":"sim-c","la\n${stale}\n${' '.repeat(300)}\n`,
  );
  const a = await counter(dir, 'boot-1');
  assert.deepEqual(await values(a, 1), [2]);
  const text = fs.readFileSync(path.join(dir, 'drivers', 'counters.run'), 'utf8');
  assert.deepEqual(
    text
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as unknown),
    [{ key: 'sim-c', last: 2, boot: 'boot1' }],
  );
});

test('an upgrade after a crash of the per-counter run file version goes on without a gap, then removes that file', async (t) => {
  const dir = stateDir(t);
  fs.mkdirSync(path.join(dir, 'drivers'));
  // What the previous version left after handing out 0..41 and dying (no close): a reservation
  // and `sim-c.run`, the exact value padded with spaces to 64 bytes (boot id alphanumerics only).
  fs.writeFileSync(path.join(dir, 'drivers', 'sim-c.json'), '{"last":100}');
  const legacy = path.join(dir, 'drivers', 'sim-c.run');
  fs.writeFileSync(legacy, JSON.stringify({ last: 41, boot: 'boot1' }).padEnd(63) + '\n');
  const d = await counter(dir, 'boot-1');
  assert.deepEqual(await values(d, 2), [42, 43]);
  assert.equal(fs.existsSync(legacy), false, 'the old run file is gone once counters.run has the line');
  const again = await counter(dir, 'boot-1');
  assert.deepEqual(await values(again, 1), [44], 'read from counters.run now');
});

test('the previous run file from another boot is not trusted: the reservation is', async (t) => {
  const dir = stateDir(t);
  fs.mkdirSync(path.join(dir, 'drivers'));
  fs.writeFileSync(path.join(dir, 'drivers', 'sim-c.json'), '{"last":100}');
  fs.writeFileSync(path.join(dir, 'drivers', 'sim-c.run'), JSON.stringify({ last: 41, boot: 'boot1' }));
  const d = await counter(dir, 'boot-2');
  assert.deepEqual(await values(d, 1), [101]);
});
