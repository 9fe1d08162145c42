/**
 * Schedule windows end to end (real time, 2-second windows every 10 s): the link opens only at
 * window starts, readings made outside a window wait in the outbox and are delivered in a later
 * window, and nothing is lost.
 *
 * Checked on the agent's own decisions (the time its link entered `connecting` / `closing`, taken
 * when it logged the change), not on how fast the machine then carried them out: a loaded CI
 * machine may finish a handshake or a drain late, but the agent may never decide to connect
 * outside a window, nor deliver a reading before the window after its sampling.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeConfig, tempDir, waitFor } from '../helpers/agent-harness.js';
import { startRegistrar } from '../../src/cse/server.js';
import { startAgent } from '../../src/main.js';
import type { Logger } from '../../src/util/log.js';
import { collectDeliveries, faultConfig, sequenceOf, valuesOf } from './fixtures/fault-kit.js';
import { EVERY_TEN_SECONDS, inWindow, phase, windowStartAfter } from './fixtures/windows.js';

/** A logger that keeps only the link's state changes, with the wall time each was decided. */
function linkDecisions(): { logger: Logger; decisions: { state: string; atMs: number }[] } {
  const decisions: { state: string; atMs: number }[] = [];
  const record = (msg: string): void => {
    const m = /^link (\w+)$/.exec(msg);
    if (m?.[1]) decisions.push({ state: m[1], atMs: Date.now() });
  };
  const make = (): Logger => ({ debug: record, info: record, warn: record, error: record, child: make });
  return { logger: make(), decisions };
}

test('readings made outside a window are delivered in a later window', async (t) => {
  const registrar = await startRegistrar({ port: 0 });
  const delivered = collectDeliveries(registrar.cse);
  const opened: number[] = [];
  const closed: number[] = [];
  registrar.on('connection', (c) => opened.push(c.openedAtMs));
  registrar.on('disconnection', () => closed.push(Date.now()));
  const stateDir = tempDir();
  const produced: number[] = [];
  const config = makeConfig(faultConfig(registrar.url, stateDir, { schedule: EVERY_TEN_SECONDS }));
  const { logger, decisions } = linkDecisions();
  const agent = await startAgent(config, {
    logger,
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
    const connecting = decisions.filter((d) => d.state === 'connecting');
    const closing = decisions.filter((d) => d.state === 'closing').slice(0, -1); // the last: stop()
    assert.ok(connecting.length >= 2 && closing.length >= 1, JSON.stringify(decisions));
    for (const d of connecting) assert.ok(inWindow(d.atMs), `decided to connect at phase ${phase(d.atMs)}`);
    // Never before the window's end; and within the gap, not kept open until the next window.
    for (const d of closing) assert.ok(phase(d.atMs) >= 2, `decided to close at phase ${phase(d.atMs)}`);
    for (const d of delivered) {
      // A reading sampled outside waits for a window: never created before the next one opened.
      if (!inWindow(d.btMs)) {
        const next = windowStartAfter(d.btMs);
        assert.ok(
          d.atMs >= next,
          `reading sampled at phase ${phase(d.btMs)} created ${next - d.atMs} ms before the next window`,
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
