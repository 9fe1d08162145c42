/**
 * Schedule windows end to end (real time, 2-second windows every 10 s): the link opens only at
 * window starts, readings made outside a window wait in the outbox and are delivered in the next
 * window, and nothing is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeConfig, tempDir, waitFor } from '../helpers/agent-harness.js';
import { startRegistrar } from '../../src/cse/server.js';
import { startAgent } from '../../src/main.js';
import { silentLogger } from '../../src/util/log.js';
import { collectDeliveries, faultConfig, sequenceOf, valuesOf } from './fixtures/fault-kit.js';
import { EVERY_TEN_SECONDS, inWindow, phase, windowStartAfter } from './fixtures/windows.js';

test('readings made outside a window are delivered in the next window', async (t) => {
  const registrar = await startRegistrar({ port: 0 });
  const delivered = collectDeliveries(registrar.cse);
  const opened: number[] = [];
  const closed: number[] = [];
  registrar.on('connection', (c) => opened.push(c.openedAtMs));
  registrar.on('disconnection', () => closed.push(Date.now()));
  const stateDir = tempDir();
  const produced: number[] = [];
  const config = makeConfig(faultConfig(registrar.url, stateDir, { schedule: EVERY_TEN_SECONDS }));
  const agent = await startAgent(config, {
    logger: silentLogger,
    onReading: (device, readings) => {
      if (device === 'c0') for (const r of readings) if (r.v !== undefined) produced.push(r.v);
    },
  });
  try {
    const outsideDelivered = (): number => delivered.filter((d) => !inWindow(d.btMs)).length;
    await waitFor(
      () => opened.length >= 2 && closed.length >= 1 && outsideDelivered() >= 4,
      'two windows, one with a backlog from outside',
      25_000,
    );
    const snapshot = produced.slice();
    await waitFor(
      () => {
        const got = new Set(valuesOf(delivered, 'c0'));
        return snapshot.every((v) => got.has(v));
      },
      'every reading made so far delivered',
      15_000,
    );
    await agent.stop();
    t.diagnostic(
      `${opened.length} connections, ${delivered.length} readings, ${outsideDelivered()} made outside`,
    );
    for (const at of opened) assert.ok(inWindow(at), `a connection opened at phase ${phase(at)}`);
    for (const at of closed.slice(0, -1))
      assert.ok(phase(at) >= 2 && phase(at) <= 3, `closed at phase ${phase(at)} (window end + grace)`);
    for (const d of delivered) {
      // Created inside a window, or within the 1 s close grace after it.
      assert.ok(phase(d.atMs) <= 2, `reading ${d.device}/${d.value} created at phase ${phase(d.atMs)}`);
      if (!inWindow(d.btMs)) {
        const next = windowStartAfter(d.btMs);
        assert.ok(
          d.atMs >= next && d.atMs < next + 3_000,
          `reading sampled at phase ${phase(d.btMs)} delivered ${d.atMs - next} ms after the next window opened`,
        );
      }
    }
    for (const device of ['c0', 'c1']) {
      const seq = sequenceOf(valuesOf(delivered, device));
      assert.deepEqual(seq.gaps, [], `${device}: nothing lost`);
      assert.equal(seq.outOfOrder, 0);
      assert.equal(seq.duplicates, 0);
    }
  } finally {
    await agent.stop();
    await registrar.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
