/**
 * The registrar is unreachable while readings accumulate (first at start, then again after it
 * had been up), then comes back on the same port: everything is delivered, in order per stream,
 * nothing lost; the outage costs one warning, not one line per attempt.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { makeConfig, tempDir, waitFor } from '../helpers/agent-harness.js';
import { startAgent } from '../../src/main.js';
import { memoryLogger } from '../../src/util/log.js';
import {
  collectDeliveries,
  counters,
  faultConfig,
  registrarOn,
  reservePort,
  sequenceOf,
  valuesOf,
  type Delivered,
} from './fixtures/fault-kit.js';

const DEVICES = 4;

test('registrar down at start and again later: every reading delivered in order once it is back', async () => {
  const port = await reservePort();
  const stateDir = tempDir();
  const logger = memoryLogger();
  const produced = new Map<string, number[]>();
  const config = makeConfig(faultConfig(`ws://127.0.0.1:${port}/`, stateDir, { devices: counters(DEVICES) }));
  const agent = await startAgent(config, {
    logger,
    onReading: (device, readings) => {
      const list = produced.get(device) ?? [];
      for (const r of readings) if (r.v !== undefined) list.push(r.v);
      produced.set(device, list);
    },
  });
  let delivered: Delivered[] = [];
  const allDelivered = (): boolean =>
    [...produced].every(([device, values]) => {
      const got = new Set(valuesOf(delivered, device));
      return values.every((v) => got.has(v));
    });
  const registrars: { close(): Promise<void> }[] = [];
  /** True when every device has produced at least `n` readings more than in `since`. */
  const producedMore = (n: number, since: ReadonlyMap<string, number> = new Map()): boolean =>
    Array.from({ length: DEVICES }, (_, i) => `c${i}`).every(
      (d) => (produced.get(d)?.length ?? 0) >= (since.get(d) ?? 0) + n,
    );
  const producedNow = (): Map<string, number> => new Map([...produced].map(([d, v]) => [d, v.length]));
  const attempts = (): number =>
    logger.lines.filter((l) => l.fields.component === 'link' && l.msg === 'link connecting').length;
  try {
    // 1. Nobody listens yet: the agent retries while the readings pile up in the outbox (waited
    // for as events: attempts made, readings buffered, not as a stretch of time).
    await waitFor(
      () =>
        attempts() >= 4 &&
        producedMore(3) &&
        agent.outbox.stats().depth >= DEVICES * 3 &&
        agent.link.stats().state === 'backingOff',
      'retries and a backlog while nobody listens',
      15_000,
    );

    // 2. The registrar appears on the configured port.
    const first = await registrarOn(port);
    registrars.push(first);
    delivered = collectDeliveries(first.cse);
    await waitFor(allDelivered, 'the backlog of the first outage', 15_000);

    // 3. It goes away (closing its connections) and stays away a while.
    await first.close();
    registrars.length = 0;
    const depthBefore = agent.outbox.stats().depth;
    const attemptsBefore = attempts();
    const producedBefore = producedNow();
    await waitFor(
      () =>
        attempts() >= attemptsBefore + 3 &&
        producedMore(3, producedBefore) &&
        agent.outbox.stats().depth >= depthBefore + DEVICES * 3 &&
        agent.link.stats().state === 'backingOff',
      'retries and a new backlog during the second outage',
      15_000,
    );

    // 4. Back, with the same CSE (so the agent's registration is still valid).
    const second = await registrarOn(port, first.cse);
    registrars.push(second);
    await waitFor(allDelivered, 'the backlog of the second outage', 15_000);
    await agent.stop();

    for (let i = 0; i < DEVICES; i++) {
      const device = `c${i}`;
      const seq = sequenceOf(valuesOf(delivered, device));
      const made = produced.get(device) ?? [];
      assert.ok(made.length >= 6, `${device} produced ${made.length}`);
      assert.equal(seq.min, 0, `${device} starts at 0`);
      assert.deepEqual(seq.gaps, [], `${device}: nothing lost`);
      assert.equal(seq.outOfOrder, 0, `${device}: in order`);
      // A request in flight when the registrar closed may have been created and then resent.
      assert.ok(seq.duplicates <= 1, `${device}: ${seq.duplicates} duplicates`);
    }
    const linkLines = logger.lines.filter((l) => l.fields.component === 'link' && l.msg.startsWith('link '));
    const warnings = linkLines.filter((l) => l.level === 'warn').map((l) => l.msg);
    assert.deepEqual(warnings, ['link backingOff', 'link backingOff'], 'one warning per outage');
    assert.ok(attempts() > 6, `retried (${attempts()} attempts)`);
    assert.ok(agent.link.stats().reconnects >= 1);
  } finally {
    await agent.stop();
    for (const r of registrars) await r.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
});
