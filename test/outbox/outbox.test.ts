/** Outbox policy over the memory store, with a manual clock: no real time passes in these tests. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemoryOutboxStore } from '../../src/outbox/memory-store.js';
import { Outbox, type OutboxOptions } from '../../src/outbox/outbox.js';
import type { EventCategory } from '../../src/outbox/store.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;
const PAYLOAD = new Uint8Array(100);

function setup(opts: Partial<OutboxOptions> = {}, startWallMs = Date.UTC(2026, 0, 1)) {
  const clock = new ManualClock(startWallMs);
  const store = new MemoryOutboxStore({ clock });
  const log = memoryLogger();
  // Every test stream name has one character, so every entry has this size.
  const unit = store.sizeOf({
    stream: 's',
    ec: 'bestEffort',
    createdWallMs: 0,
    createdMonoMs: 0,
    bootId: 'boot-1',
    payload: PAYLOAD,
  });
  const outbox = new Outbox(store, {
    maxBytes: 1e9,
    maxAgeSeconds: 0,
    clock,
    bootId: 'boot-1',
    logger: log,
    ...opts,
  });
  const add = (stream: string, ec: EventCategory, extra: { expiresAtWallMs?: number } = {}) =>
    outbox.append({ stream, ec, payload: PAYLOAD, ...extra });
  return { clock, store, log, outbox, unit, add };
}

function held(store: MemoryOutboxStore): number[] {
  const ids: number[] = [];
  store.scan((m) => void ids.push(m.id));
  return ids;
}

describe('Outbox bounds and eviction', () => {
  it('when full evicts the oldest bestEffort first, then latest, keeping immediate longest', async () => {
    const t = setup();
    const { store, add } = t;
    const outbox = new Outbox(store, {
      maxBytes: t.unit * 6,
      maxAgeSeconds: 0,
      clock: t.clock,
      bootId: 'boot-1',
      logger: t.log,
    });
    const i1 = await add('a', 'immediate');
    const b1 = await add('t', 'bestEffort');
    const l1 = await add('p', 'latest');
    const b2 = await add('t', 'bestEffort');
    const i2 = await add('a', 'immediate');
    const b3 = await add('t', 'bestEffort');
    const put = (ec: EventCategory, stream = 'x') => outbox.append({ stream, ec, payload: PAYLOAD });
    const b4 = await put('bestEffort');
    assert.deepEqual(held(store), [i1, l1, b2, i2, b3, b4], 'oldest bestEffort went first');
    assert.equal(store.meta(b1), undefined);
    const i3 = await put('immediate');
    const i4 = await put('immediate');
    const i5 = await put('immediate');
    assert.deepEqual(held(store), [i1, l1, i2, i3, i4, i5], 'all bestEffort gone before any latest');
    const i6 = await put('immediate');
    assert.deepEqual(held(store), [i1, i2, i3, i4, i5, i6], 'then latest');
    const i7 = await put('immediate');
    assert.deepEqual(
      held(store),
      [i2, i3, i4, i5, i6, i7],
      'immediate only when nothing else is left, oldest first',
    );
    assert.equal(store.stats().evicted, 6);
    assert.ok(
      t.log.lines.some((l) => l.level === 'warn' && /evicted/.test(l.msg)),
      'eviction is logged',
    );
  });

  it('never evicts a higher category for a lower one: OUTBOX_FULL instead, counted', async () => {
    const t = setup();
    const outbox = new Outbox(t.store, {
      maxBytes: t.unit * 2,
      maxAgeSeconds: 0,
      clock: t.clock,
      bootId: 'boot-1',
    });
    await outbox.append({ stream: 'a', ec: 'immediate', payload: PAYLOAD });
    await outbox.append({ stream: 'l', ec: 'latest', payload: PAYLOAD });
    await assert.rejects(outbox.append({ stream: 'b', ec: 'bestEffort', payload: PAYLOAD }), {
      code: 'OUTBOX_FULL',
    });
    await outbox.append({ stream: 'm', ec: 'latest', payload: PAYLOAD }); // latest may push out latest
    assert.equal(outbox.stats().refusedFull, 1);
    assert.equal(outbox.stats().depth, 2);
    await assert.rejects(
      outbox.append({ stream: 'g', ec: 'immediate', payload: new Uint8Array(t.unit * 3) }),
      {
        code: 'OUTBOX_FULL',
      },
    );
  });

  it('does not evict entries in flight', async () => {
    const t = setup();
    const outbox = new Outbox(t.store, {
      maxBytes: t.unit * 3,
      maxAgeSeconds: 0,
      clock: t.clock,
      bootId: 'boot-1',
    });
    const a = await outbox.append({ stream: 's', ec: 'bestEffort', payload: PAYLOAD });
    const b = await outbox.append({ stream: 's', ec: 'bestEffort', payload: PAYLOAD });
    const c = await outbox.append({ stream: 's', ec: 'bestEffort', payload: PAYLOAD });
    const inFlight = new Set((await outbox.next(1)).map((e) => e.id));
    await outbox.next(1, inFlight);
    const d = await outbox.append({ stream: 's', ec: 'bestEffort', payload: PAYLOAD });
    assert.deepEqual(held(t.store), [a, c, d], `${b} evicted, ${a} in flight kept`);
  });

  it('on a full disk evicts oldest bestEffort and retries; OUTBOX_FULL only when nothing can be freed', async () => {
    const t = setup();
    const ids: number[] = [];
    for (let i = 0; i < 4; i++) ids.push(await t.add('temp', 'bestEffort'));
    const alarm = await t.add('alarm', 'immediate');
    t.store.setCapacityBytes(t.store.stats().bytes); // the disk is now full
    const more: number[] = [];
    for (let i = 0; i < 10; i++) more.push(await t.add('temp', 'bestEffort'));
    assert.equal(t.store.stats().depth, 5);
    assert.ok(held(t.store).includes(alarm));
    assert.equal(t.outbox.stats().evictedForSpace, 10);
    assert.deepEqual(held(t.store), [alarm, ...more.slice(-4)]);
    const warns = t.log.lines.filter((l) => /disk full/.test(l.msg));
    assert.equal(warns.length, 1, 'one log line per minute, not per eviction');
    t.clock.advance(61_000);
    await t.add('temp', 'bestEffort');
    assert.equal(t.log.lines.filter((l) => /disk full/.test(l.msg)).length, 2);
    // Only the immediate entry is left to evict for an immediate; nothing at all for bestEffort.
    await t.store.remove(held(t.store).filter((id) => id !== alarm));
    t.store.setCapacityBytes(t.store.stats().bytes);
    await assert.rejects(t.add('temp', 'bestEffort'), { code: 'OUTBOX_FULL' });
    const alarm2 = await t.add('alarm', 'immediate');
    assert.deepEqual(held(t.store), [alarm2]);
  });

  it('concurrent appends keep the bound (those that must make room wait for the ones before)', async () => {
    const t = setup();
    const outbox = new Outbox(t.store, {
      maxBytes: t.unit * 5,
      maxAgeSeconds: 0,
      clock: t.clock,
      bootId: 'boot-1',
    });
    let maxSeen = 0;
    outbox.onAppended(() => (maxSeen = Math.max(maxSeen, t.store.stats().bytes)));
    await Promise.all(
      Array.from({ length: 30 }, () => outbox.append({ stream: 's', ec: 'bestEffort', payload: PAYLOAD })),
    );
    assert.equal(t.store.stats().depth, 5);
    assert.ok(maxSeen <= t.unit * 5, `bytes reached ${maxSeen}`);
  });
});

describe('Outbox latest', () => {
  it('appending for a stream replaces its older unsent entry only', async () => {
    const { store, add } = setup();
    const other = await add('pos', 'bestEffort');
    await add('pos', 'latest');
    await add('pos', 'latest');
    const keepOtherStream = await add('door', 'latest');
    const last = await add('pos', 'latest');
    assert.deepEqual(held(store), [other, keepOtherStream, last]);
    assert.equal(store.stats().replaced, 2);
  });

  it('an entry in flight is not replaced; older ones not in flight are', async () => {
    const { store, add, outbox } = setup();
    const first = await add('pos', 'latest');
    const inFlight = new Set((await outbox.next(5)).map((e) => e.id));
    await outbox.next(5, inFlight);
    const second = await add('pos', 'latest');
    assert.deepEqual(held(store), [first, second], 'the one in flight stays');
    const third = await add('pos', 'latest');
    assert.deepEqual(held(store), [first, third]);
    await outbox.ack(first);
    inFlight.clear();
    assert.deepEqual(
      (await outbox.next(5, inFlight)).map((e) => e.id),
      [third],
    );
  });
});

describe('Outbox expiry', () => {
  it('expires by maxAgeSeconds and by expiresAtWallMs, skipping entries in flight', async () => {
    const { clock, store, add, outbox } = setup({ maxAgeSeconds: 60 });
    const a = await add('s', 'bestEffort');
    const b = await add('s', 'bestEffort', { expiresAtWallMs: clock.nowMs() + 10_000 });
    clock.advance(9_999);
    assert.equal(await outbox.expireDue(), 0);
    clock.advance(1);
    assert.equal(await outbox.expireDue(), 1);
    assert.deepEqual(held(store), [a]);
    const inFlight = new Set([a]);
    await outbox.next(1, inFlight);
    clock.advance(60_001);
    assert.equal(await outbox.expireDue(), 0, 'in flight: its response decides');
    inFlight.clear();
    assert.equal(await outbox.expireDue(), 1);
    assert.equal(store.stats().expired, 2);
    assert.ok(!held(store).includes(b));
  });

  it('next() drops expired entries on the way and returns the live ones in order', async () => {
    const { clock, add, outbox, store } = setup({ maxAgeSeconds: 100 });
    await add('s', 'bestEffort');
    await add('s', 'bestEffort');
    clock.advance(50_000);
    const c = await add('s', 'bestEffort');
    const d = await add('t', 'immediate');
    clock.advance(60_000);
    assert.deepEqual(
      (await outbox.next(2)).map((e) => e.id),
      [c, d],
    );
    assert.equal(store.stats().expired, 2);
  });
});

describe('Outbox and wall-clock jumps', () => {
  it('a jump forward by years and back neither expires nor evicts anything, and sampling times come out corrected', async () => {
    // A board without RTC boots in 1970, samples, then NTP sets the real time.
    const { clock, store, add, outbox } = setup({ maxAgeSeconds: 3600, maxBytes: 1e6 }, 0);
    const a = await add('s', 'bestEffort');
    const b = await add('s', 'immediate', { expiresAtWallMs: clock.nowMs() + 600_000 });
    clock.advance(10_000);
    const ntp = Date.UTC(2026, 4, 17, 12, 0, 0);
    clock.jumpWall(ntp - clock.nowMs());
    assert.equal(await outbox.expireDue(), 0);
    let got = await outbox.next(10);
    assert.deepEqual(
      got.map((e) => e.id),
      [a, b],
    );
    assert.equal(got[0]!.createdWallMs, 0, 'stored as stamped');
    assert.equal(got[0]!.correctedCreatedWallMs, ntp - 10_000, 'corrected: sampled 10 s before now');
    assert.ok(outbox.stats().oldestAgeSeconds! <= 10);
    clock.jumpWall(-20 * YEAR_MS); // and a bad NTP answer back in time
    clock.advance(1_000);
    assert.equal(await outbox.expireDue(), 0);
    got = await outbox.next(10);
    assert.deepEqual(
      got.map((e) => e.id),
      [a, b],
    );
    assert.equal(got[1]!.correctedCreatedWallMs, clock.nowMs() - 11_000);
    assert.equal(store.stats().evicted + store.stats().expired, 0);
    clock.advance(600_000); // real time does expire them
    assert.equal(await outbox.expireDue(), 1, 'b by its expiry');
    clock.advance(3_000_000);
    assert.equal(await outbox.expireDue(), 1, 'a by maxAgeSeconds');
  });

  it('after a reboot ages come from the wall clock, clamped at zero', async () => {
    const { clock, store, add } = setup({ maxAgeSeconds: 3600 });
    const a = await add('s', 'bestEffort');
    clock.jumpWall(-5 * YEAR_MS); // the new boot starts with an old wall clock
    const rebooted = new Outbox(store, { maxBytes: 1e6, maxAgeSeconds: 3600, clock, bootId: 'boot-2' });
    assert.equal(await rebooted.expireDue(), 0, 'a negative age counts as zero');
    const [e] = await rebooted.next(1);
    assert.equal(e!.id, a);
    assert.equal(e!.correctedCreatedWallMs, Date.UTC(2026, 0, 1), 'another boot: the stored wall time');
    clock.jumpWall(5 * YEAR_MS + 3601_000);
    assert.equal(await rebooted.expireDue(), 1, 'older than maxAge by the wall clock');
  });
});

describe('Outbox uplink interface', () => {
  it('next returns the oldest entries not in flight; ack and reject remove them', async () => {
    const { add, outbox, store, log } = setup();
    const ids = [await add('a', 'bestEffort'), await add('b', 'immediate'), await add('a', 'bestEffort')];
    const inFlight = new Set<number>();
    const first = await outbox.next(2, inFlight);
    assert.deepEqual(
      first.map((e) => e.id),
      ids.slice(0, 2),
    );
    for (const e of first) inFlight.add(e.id);
    assert.deepEqual(
      (await outbox.next(2, inFlight)).map((e) => e.id),
      [ids[2]],
    );
    assert.equal(await outbox.ack(ids[0]!), true);
    assert.equal(await outbox.ack(ids[0]!), false);
    assert.equal(await outbox.reject(ids[1]!, '4000 BAD_REQUEST'), true);
    assert.equal((await store.readQuarantine())[0]?.reason, '4000 BAD_REQUEST');
    assert.ok(log.lines.some((l) => /quarantined/.test(l.msg) && l.fields.stream === 'b'));
    const s = outbox.stats();
    assert.deepEqual([s.delivered, s.quarantined, s.depth], [1, 1, 1]);
  });

  it('hasImmediate tells whether an immediate entry waits', async () => {
    const { add, outbox } = setup();
    assert.equal(outbox.hasImmediate(), false);
    await add('temp', 'bestEffort');
    assert.equal(outbox.hasImmediate(), false);
    const id = await add('door', 'immediate');
    assert.equal(outbox.hasImmediate(), true);
    await outbox.ack(id);
    assert.equal(outbox.hasImmediate(), false);
  });

  it('wakes the uplink: whenNonEmpty and onAppended', async () => {
    const { add, outbox, log } = setup();
    const seen: string[] = [];
    const off = outbox.onAppended((m) => seen.push(m.stream));
    outbox.onAppended(() => {
      throw new Error('listener bug');
    });
    let woke = false;
    const waiting = outbox.whenNonEmpty().then(() => (woke = true));
    await Promise.resolve();
    assert.equal(woke, false);
    await add('a', 'bestEffort');
    await waiting;
    assert.equal(woke, true);
    await outbox.whenNonEmpty(); // resolves at once now
    off();
    await add('b', 'bestEffort');
    assert.deepEqual(seen, ['a']);
    assert.ok(log.lines.some((l) => l.level === 'error' && /listener/.test(l.msg)));
  });

  it('whenNonEmpty rejects on abort and on close', async () => {
    const { outbox } = setup();
    const ac = new AbortController();
    const aborted = outbox.whenNonEmpty(ac.signal);
    ac.abort(new Error('link closing'));
    await assert.rejects(aborted, /link closing/);
    const pending = outbox.whenNonEmpty();
    await outbox.close();
    await assert.rejects(pending, { code: 'OUTBOX_CLOSED' });
    await assert.rejects(outbox.append({ stream: 's', ec: 'bestEffort', payload: PAYLOAD }), {
      code: 'OUTBOX_CLOSED',
    });
  });

  it('accepts an earlier sampling stamp and reports the oldest age', async () => {
    const { clock, outbox } = setup();
    const sampledAt = outbox.now();
    clock.advance(30_000);
    const id = await outbox.append({ stream: 's', ec: 'bestEffort', payload: PAYLOAD, sampledAt });
    const [e] = await outbox.next(1);
    assert.equal(e!.id, id);
    assert.equal(e!.createdMonoMs, sampledAt.monoMs);
    assert.equal(e!.correctedCreatedWallMs, clock.nowMs() - 30_000);
    assert.equal(outbox.stats().oldestAgeSeconds, 30);
  });
});
