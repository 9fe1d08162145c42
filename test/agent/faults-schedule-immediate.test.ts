/**
 * An `immediate` reading opens the link outside the schedule's windows (2-second windows every
 * 10 s, alarms sampled in the middle of the gap); the link closes again once the idle time after
 * the delivery has passed, before the next window.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeConfig, tempDir, waitFor } from '../helpers/agent-harness.js';
import { startRegistrar } from '../../src/cse/server.js';
import { startAgent } from '../../src/main.js';
import { silentLogger } from '../../src/util/log.js';
import { collectDeliveries, faultConfig } from './fixtures/fault-kit.js';
import { EVERY_TEN_SECONDS, inWindow, phase, windowStartAfter } from './fixtures/windows.js';

const IDLE_S = 2;

test('an immediate reading opens the link outside a window; it closes after the idle time', async (t) => {
  const registrar = await startRegistrar({ port: 0 });
  const delivered = collectDeliveries(registrar.cse);
  const opened: number[] = [];
  const closed: number[] = [];
  registrar.on('connection', (c) => opened.push(c.openedAtMs));
  registrar.on('disconnection', () => closed.push(Date.now()));
  const stateDir = tempDir();
  const config = makeConfig(
    faultConfig(registrar.url, stateDir, {
      schedule: EVERY_TEN_SECONDS,
      link: {
        backoffFloorMs: 100,
        backoffCapMs: 1000,
        requestTimeoutSeconds: 5,
        closeGraceSeconds: 1,
        idleCloseSeconds: IDLE_S,
      },
      devices: [
        {
          name: 'alarm',
          model: 'sim',
          params: { waveform: 'counter' },
          sample: '5,15,25,35,45,55 * * * * *',
          eventCategory: 'immediate',
        },
      ],
    }),
  );
  const agent = await startAgent(config, { logger: silentLogger });
  try {
    await waitFor(() => delivered.length >= 1, 'an alarm delivered', 15_000);
    const alarm = delivered[0];
    assert.ok(alarm);
    await waitFor(() => closed.some((c) => c > alarm.atMs), 'the link closed after the alarm', 10_000);
    const closedAt = closed.find((c) => c > alarm.atMs) ?? 0;
    t.diagnostic(
      `alarm sampled at phase ${phase(alarm.btMs)}, delivered after ${Math.round(alarm.atMs - alarm.btMs)} ms, link closed ${closedAt - alarm.atMs} ms later`,
    );
    assert.ok(!inWindow(alarm.btMs) && !inWindow(alarm.atMs), 'sampled and delivered outside a window');
    // Not held for the next window (5 s after the alarm's sampling): how fast "at once" is, is the
    // machine's business, not this test's.
    assert.ok(alarm.atMs < windowStartAfter(alarm.btMs), 'delivered at once, not at the next window');
    const outsideOpen = opened.filter((o) => !inWindow(o));
    assert.ok(outsideOpen.length >= 1, 'a connection was opened outside the windows');
    assert.ok(
      closedAt - alarm.atMs >= IDLE_S * 1000 - 100,
      `stayed up the idle time (${closedAt - alarm.atMs} ms)`,
    );
    assert.ok(!inWindow(closedAt), `closed at phase ${phase(closedAt)}, before the next window`);
  } finally {
    await agent.stop();
    await registrar.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
