import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SimDriver } from '../../src/drivers/sim.js';
import { ManualClock } from '../../src/util/clock.js';
import { AgentError } from '../../src/util/errors.js';
import { recordingContext } from './context.js';

function stateDir(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

async function values(d: SimDriver, n: number): Promise<(number | undefined)[]> {
  const out: (number | undefined)[] = [];
  for (let i = 0; i < n; i++) out.push((await d.sample())[0]?.v);
  return out;
}

test('counter: 0, 1, 2, … and never repeats across restarts with the same state dir', async (t) => {
  const dir = stateDir(t);
  const make = (name: string) =>
    new SimDriver({ waveform: 'counter', unit: 'count' }, { stateDir: dir, stateKey: name });
  const a = make('ticks');
  await a.open(recordingContext());
  assert.deepEqual(await values(a, 3), [0, 1, 2]);
  assert.equal((await a.sample())[0]?.u, 'count');
  await a.close();
  const again = make('ticks');
  await again.open(recordingContext());
  assert.deepEqual(await values(again, 2), [4, 5]);
  const other = make('other');
  await other.open(recordingContext());
  assert.deepEqual(await values(other, 1), [0]);
});

test('counter: without a state dir it counts in memory; a corrupt state file is logged and ignored', async (t) => {
  const mem = new SimDriver({ start: 10 });
  await mem.open(recordingContext());
  assert.deepEqual(await values(mem, 2), [10, 11]);
  const dir = stateDir(t);
  fs.mkdirSync(path.join(dir, 'drivers'));
  fs.writeFileSync(path.join(dir, 'drivers', 'sim-x.json'), '{"last":');
  const d = new SimDriver({}, { stateDir: dir, stateKey: 'x' });
  const ctx = recordingContext();
  await d.open(ctx);
  assert.ok(ctx.log.lines.some((l) => l.level === 'warn'));
  assert.deepEqual(await values(d, 1), [0]);
});

test('sine follows the clock: offset at phase 0, offset + amplitude a quarter period later', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1)); // a whole number of minutes: phase 0
  const d = new SimDriver(
    { waveform: 'sine', periodSeconds: 60, amplitude: 5, offset: 20, unit: 'Cel' },
    { readingName: 'temperature' },
  );
  await d.open(recordingContext(clock));
  const [first] = await d.sample();
  assert.equal(first?.n, 'temperature');
  assert.ok(Math.abs((first?.v ?? NaN) - 20) < 1e-9);
  clock.advance(15_000);
  assert.ok(Math.abs(((await d.sample())[0]?.v ?? NaN) - 25) < 1e-9);
  clock.advance(30_000);
  assert.ok(Math.abs(((await d.sample())[0]?.v ?? NaN) - 15) < 1e-9);
});

test('random stays within [min, max)', async () => {
  const draws = [0, 0.25, 0.75];
  const d = new SimDriver({ waveform: 'random', min: 10, max: 20 }, { random: () => draws.shift() ?? 0.5 });
  await d.open(recordingContext());
  assert.deepEqual(await values(d, 3), [10, 12.5, 17.5]);
  const real = new SimDriver({ waveform: 'random', min: -1, max: 1 });
  await real.open(recordingContext());
  for (const v of await values(real, 50)) assert.ok(v !== undefined && v >= -1 && v < 1);
});

test('step: an actuator that reports its state, toggles at each sample and keeps its state across restarts', async (t) => {
  const dir = stateDir(t);
  const make = () => new SimDriver({ waveform: 'step', initial: 0 }, { stateDir: dir, stateKey: 'switch' });
  const d = make();
  const ctx = recordingContext();
  await d.open(ctx);
  assert.deepEqual(
    ctx.emitted.flat().map((r) => r.v),
    [0],
  );
  assert.ok(d.actuate);
  assert.equal((await d.actuate(true))[0]?.v, 1);
  assert.equal((await d.actuate(0))[0]?.v, 0);
  assert.deepEqual(await values(d, 3), [1, 0, 1]);
  await d.close();
  const again = make();
  const ctx2 = recordingContext();
  await again.open(ctx2);
  assert.deepEqual(
    ctx2.emitted.flat().map((r) => r.v),
    [1],
  );
});

test('only step takes commands; bad params are named', () => {
  assert.equal(new SimDriver({ waveform: 'counter' }).actuate, undefined);
  const bad = (params: Record<string, unknown>, key: string) => {
    assert.throws(
      () => new SimDriver(params),
      (e: unknown) => e instanceof AgentError && e.code === 'DRIVER_BAD_PARAMS' && e.message.startsWith(key),
    );
  };
  bad({ waveform: 'square' }, 'params.waveform');
  bad({ waveform: 'random', min: 5, max: 1 }, 'params.max');
  bad({ waveform: 'sine', periodSeconds: 0 }, 'params.periodSeconds');
  bad({ unit: 5 }, 'params.unit');
});

test('sampling before open is a named error', async () => {
  await assert.rejects(
    new SimDriver({}).sample(),
    (e: unknown) => e instanceof AgentError && e.code === 'DRIVER_NOT_OPEN',
  );
});

test('sine and random are sent with params.decimals decimals (default 3), random never reaching max', async () => {
  const clock = new ManualClock(Date.UTC(2026, 0, 1) + 7_000);
  const sine = new SimDriver({ waveform: 'sine', periodSeconds: 60, amplitude: 5, offset: 20 });
  await sine.open(recordingContext(clock));
  const v = (await sine.sample())[0]?.v ?? NaN;
  assert.equal(v, Math.round((20 + 5 * Math.sin((2 * Math.PI * 7) / 60)) * 1000) / 1000);
  assert.ok(String(v).split('.')[1]!.length <= 3);
  const rnd = new SimDriver({ waveform: 'random', min: 0, max: 1, decimals: 1 }, { random: () => 0.99999 });
  await rnd.open(recordingContext());
  assert.deepEqual(await values(rnd, 1), [0.9]);
});
