/**
 * A half-open connection: a TCP proxy between agent and registrar stops forwarding without
 * closing anything (as a dead NAT entry does). The agent's ping goes unanswered, the link is
 * declared dead within ping interval + pong timeout and replaced; no reading is lost.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeConfig, tempDir, waitFor } from '../helpers/agent-harness.js';
import { startTcpProxy } from '../helpers/tcp-proxy.js';
import { startRegistrar } from '../../src/cse/server.js';
import { startAgent } from '../../src/main.js';
import { memoryLogger } from '../../src/util/log.js';
import { collectDeliveries, faultConfig, sequenceOf, valuesOf } from './fixtures/fault-kit.js';

const PING_S = 1;
const PONG_S = 1;

test('a stalled connection is detected within ping interval + pong timeout and replaced', async (t) => {
  const registrar = await startRegistrar({ port: 0 });
  const proxy = await startTcpProxy({ targetPort: registrar.port });
  const stateDir = tempDir();
  const delivered = collectDeliveries(registrar.cse);
  const logger = memoryLogger();
  const produced: number[] = [];
  const config = makeConfig(
    faultConfig(proxy.url, stateDir, {
      link: {
        backoffFloorMs: 100,
        backoffCapMs: 1000,
        pingIntervalSeconds: PING_S,
        pongTimeoutSeconds: PONG_S,
        requestTimeoutSeconds: 10,
        closeGraceSeconds: 1,
      },
    }),
  );
  const agent = await startAgent(config, {
    logger,
    onReading: (device, readings) => {
      if (device === 'c0') for (const r of readings) if (r.v !== undefined) produced.push(r.v);
    },
  });
  try {
    await waitFor(() => valuesOf(delivered, 'c0').length >= 2, 'first readings', 10_000);
    assert.equal(proxy.accepted, 1);
    proxy.stallAll();
    const stalledAt = Date.now();
    // Replaced by the liveness check (interval + timeout, a few seconds), long before the OS would
    // notice (minutes): the wait's bound tells them apart; the pong error says which one it was.
    // How many milliseconds the handshake then takes is the machine's business, not asserted.
    await waitFor(() => proxy.accepted >= 2, 'a new connection', 10_000);
    t.diagnostic(`stalled link replaced after ${Date.now() - stalledAt} ms`);
    assert.match(agent.link.stats().lastError ?? '', /pong/i);
    const snapshot = produced.length;
    await waitFor(
      () => {
        const got = new Set(valuesOf(delivered, 'c0'));
        return produced.slice(0, snapshot + 2).every((v) => got.has(v)) && produced.length >= snapshot + 2;
      },
      'readings made during the stall delivered over the new connection',
      10_000,
    );
    await agent.stop();
    const seq = sequenceOf(valuesOf(delivered, 'c0'));
    assert.deepEqual(seq.gaps, []);
    assert.equal(seq.outOfOrder, 0);
    assert.equal(seq.min, 0);
    const warnings = logger.lines.filter((l) => l.msg === 'link backingOff');
    assert.equal(warnings.length, 1, 'one warning for the dead link');
  } finally {
    await agent.stop();
    await proxy.close();
    await registrar.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
