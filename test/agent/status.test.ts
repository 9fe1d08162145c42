import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  COUNTS_INTERVAL_MS,
  formatStatus,
  readStatus,
  StatusWriter,
  type StatusSnapshot,
} from '../../src/agent/status.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';

function snapshot(depth: number): StatusSnapshot {
  return {
    identity: {
      aeId: 'Cbarn',
      registrar: 'ws://r/ /id-in/cse-in',
      name: 'barn',
      role: 'adn',
      registeredAt: '20260101T000000',
    },
    link: { state: 'up', subprotocol: 'oneM2M.cbor', since: '2026-01-01T00:00:00.000Z', reconnects: 2 },
    outbox: { depth, bytes: depth * 100, oldestAgeSeconds: 3, evicted: 0, expired: 0, quarantined: 1 },
    devices: {
      temp: {
        lastReading: { time: '2026-01-01T00:00:01.000Z', values: { value: 21.5, unit: 'Cel' } },
        errors: 0,
        readings: 4,
      },
      door: { lastError: 'gpio 17: EBUSY', errors: 3, readings: 0 },
    },
    pid: 1234,
    updatedAt: '2026-01-01T00:00:02.000Z',
  };
}

/** Waits for the file to be written: a write with fsync may take many event-loop turns on a loaded machine. */
async function until(cond: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  assert.fail('condition never held');
}

test('the status file is written at most once a second, with the newest snapshot', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-status-'));
  try {
    const clock = new ManualClock();
    let depth = 0;
    let snapshots = 0;
    const w = new StatusWriter(dir, () => (snapshots++, snapshot(depth)), clock, silentLogger);
    assert.equal(await readStatus(dir), undefined, 'nothing before the first write');
    depth = 1;
    w.changed();
    clock.advance(0);
    await until(async () => (await readStatus(dir))?.outbox.depth === 1);
    for (depth = 2; depth <= 5; depth++) w.changed();
    clock.advance(999);
    await new Promise((r) => setImmediate(r));
    assert.equal((await readStatus(dir))?.outbox.depth, 1, 'not within the second');
    depth = 9;
    clock.advance(1);
    await until(async () => (await readStatus(dir))?.outbox.depth === 9);
    assert.equal(snapshots, 2, 'one snapshot per write, not per change');
    await w.flush();
    assert.deepEqual(readdirSync(dir), ['status.json'], 'atomic: no temp files left');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('counters alone wait COUNTS_INTERVAL_MS; a real change brings the write forward', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-status-'));
  try {
    const clock = new ManualClock();
    let depth = 1;
    const w = new StatusWriter(dir, () => snapshot(depth), clock, silentLogger);
    await w.flush();
    depth = 2;
    w.counted();
    clock.advance(COUNTS_INTERVAL_MS - 1);
    await new Promise((r) => setImmediate(r));
    assert.equal(
      (await readStatus(dir))?.outbox.depth,
      1,
      'a reading alone does not rewrite the file every second',
    );
    clock.advance(1);
    await until(async () => (await readStatus(dir))?.outbox.depth === 2);
    depth = 3;
    w.counted();
    clock.advance(500);
    w.changed();
    clock.advance(499);
    await new Promise((r) => setImmediate(r));
    assert.equal((await readStatus(dir))?.outbox.depth, 2, 'still at most once a second');
    clock.advance(1);
    await until(async () => (await readStatus(dir))?.outbox.depth === 3);
    depth = 4;
    w.changed();
    w.counted();
    clock.advance(1000);
    await until(async () => (await readStatus(dir))?.outbox.depth === 4);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('flush writes at once (on shutdown)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-status-'));
  try {
    const w = new StatusWriter(dir, () => snapshot(7), new ManualClock(), silentLogger);
    await w.flush();
    assert.deepEqual(await readStatus(dir), snapshot(7));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the human form: identity, link, outbox, one line per device, the age of the file', () => {
  const text = formatStatus(snapshot(3), Date.parse('2026-01-01T00:00:12.000Z'));
  const lines = text.split('\n');
  assert.match(lines[0] ?? '', /^identity\s+Cbarn\s+adn "barn" at ws:\/\/r\/ \/id-in\/cse-in$/);
  assert.match(lines[1] ?? '', /^link\s+up \(oneM2M\.cbor\) since 2026-01-01T00:00:00\.000Z, 2 reconnects$/);
  assert.match(
    lines[2] ?? '',
    /^outbox\s+3 waiting \(300 bytes, oldest 3 s\); evicted 0, expired 0, quarantined 1$/,
  );
  assert.match(
    lines[3] ?? '',
    /^device\s+temp: \{"value":21\.5,"unit":"Cel"\} at 2026-01-01T00:00:01\.000Z; 4 readings, 0 errors$/,
  );
  assert.match(
    lines[4] ?? '',
    /^device\s+door: no reading yet; 0 readings, 3 errors; last error: gpio 17: EBUSY$/,
  );
  assert.match(lines[5] ?? '', /\(10 s ago\) by pid 1234$/);
});

test('an unregistered agent says so', () => {
  const s = snapshot(0);
  const text = formatStatus(
    { ...s, identity: { registrar: s.identity.registrar, name: 'barn', role: 'adn' } },
    Date.now(),
  );
  assert.match(text, /^identity\s+\(not registered\)/);
});

test('a status write costs no fsync (a snapshot rewritten every second needs no durability)', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-status-sync-'));
  const fs = (await import('node:fs')).default;
  const { syncBuiltinESMExports } = await import('node:module');
  const handle = await fs.promises.open(dir, 'r');
  const proto = Object.getPrototypeOf(handle) as { sync: () => Promise<void> };
  await handle.close();
  const saved = { fsync: fs.fsync, fsyncSync: fs.fsyncSync, sync: proto.sync };
  let fsyncs = 0;
  fs.fsync = ((...a: Parameters<typeof fs.fsync>) => {
    fsyncs++;
    saved.fsync(...a);
  }) as typeof fs.fsync;
  fs.fsyncSync = (fd: number) => {
    fsyncs++;
    saved.fsyncSync(fd);
  };
  proto.sync = function (this: unknown) {
    fsyncs++;
    return saved.sync.call(this);
  };
  syncBuiltinESMExports();
  try {
    const w = new StatusWriter(dir, () => snapshot(1), new ManualClock(), silentLogger);
    await w.flush();
    assert.equal((await readStatus(dir))?.outbox.depth, 1);
    assert.equal(fsyncs, 0);
  } finally {
    Object.assign(fs, { fsync: saved.fsync, fsyncSync: saved.fsyncSync });
    proto.sync = saved.sync;
    syncBuiltinESMExports();
    rmSync(dir, { recursive: true, force: true });
  }
});
