/**
 * The wall clock jumps by years while readings wait in the outbox (a board without a real-time
 * clock getting NTP time after boot): the sampling times in the delivered SenML come out
 * corrected (the monotonic clock tells how long ago each reading was taken), and nothing expires
 * or is evicted because of the jump.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeConfig, tempDir, waitFor } from '../helpers/agent-harness.js';
import { startAgent } from '../../src/main.js';
import { bootClock } from '../../src/util/clock.js';
import type { Clock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import {
  collectDeliveries,
  faultConfig,
  registrarOn,
  reservePort,
  type Delivered,
} from './fixtures/fault-kit.js';

const YEAR_MS = 365 * 86_400_000;

for (const [label, startOffsetMs] of [
  ['forward (booted in the past)', -3 * YEAR_MS],
  ['back (booted in the future)', 2 * YEAR_MS],
] as const) {
  test(`wall clock jumps ${label}: delivered sampling times are corrected, nothing expires`, async (t) => {
    // The agent's clock: wall time shifted by an offset the test changes (NTP), monotonic time
    // untouched (it never jumps).
    let offsetMs: number = startOffsetMs;
    const clock: Clock = {
      nowMs: () => Date.now() + offsetMs,
      monotonicMs: () => bootClock.monotonicMs(),
      setTimeout: (fn, ms) => bootClock.setTimeout(fn, ms),
      clearTimeout: (h) => {
        bootClock.clearTimeout(h);
      },
    };
    const port = await reservePort();
    const stateDir = tempDir();
    // True sampling time of each (device, value), taken when the reading reached the outbox.
    const sampledAt = new Map<string, number>();
    const config = makeConfig(
      faultConfig(`ws://127.0.0.1:${port}/`, stateDir, {
        buffer: { fsyncIntervalMs: 50, maxAgeSeconds: 3_600 },
      }),
    );
    const agent = await startAgent(config, {
      logger: silentLogger,
      clock,
      onReading: (device, readings) => {
        for (const r of readings) if (r.v !== undefined) sampledAt.set(`${device}/${r.v}`, Date.now());
      },
    });
    let delivered: Delivered[] = [];
    const registrars: { close(): Promise<void> }[] = [];
    try {
      // Registrar unreachable: readings wait with the wrong wall time.
      await waitFor(() => sampledAt.size >= 4, 'four readings before the jump', 15_000);
      const beforeJump = sampledAt.size;
      offsetMs = 0; // NTP answers
      await waitFor(() => sampledAt.size >= beforeJump + 2, 'two readings after the jump', 15_000);
      const registrar = await registrarOn(port);
      registrars.push(registrar);
      delivered = collectDeliveries(registrar.cse);
      const snapshot = [...sampledAt.keys()];
      await waitFor(
        () => {
          const got = new Set(delivered.map((d) => `${d.device}/${d.value}`));
          return snapshot.every((k) => got.has(k));
        },
        'every reading delivered',
        15_000,
      );
      let worstMs = 0;
      for (const d of delivered) {
        const real = sampledAt.get(`${d.device}/${d.value}`);
        assert.ok(real !== undefined, `unknown reading ${d.device}/${d.value}`);
        worstMs = Math.max(worstMs, Math.abs(d.btMs - real));
      }
      t.diagnostic(`${delivered.length} readings, worst sampling-time error ${worstMs} ms`);
      // The append follows the sampling by a few ms (more on a loaded machine); an uncorrected
      // jump would be off by years, so a minute tells them apart without timing the machine.
      assert.ok(worstMs < 60_000, `sampling time off by ${worstMs} ms`);
      const s = agent.outbox.stats();
      assert.equal(s.expired, 0, 'nothing expired because of the jump');
      assert.equal(s.evicted, 0, 'nothing evicted because of the jump');
    } finally {
      await agent.stop();
      for (const r of registrars) await r.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}
