/**
 * SIGTERM in the middle of a drain loses nothing: the agent stops taking readings, closes the link
 * with 1001, keeps what was not acknowledged in the outbox and exits 0; the next start replays it.
 * The sim counter numbers its readings 0, 1, 2, ... across restarts, so a gap is a lost reading.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readStatus } from '../../src/agent/status.js';
import type { DisconnectionEvent } from '../../src/cse/registrar-events.js';
import { rawConfig } from '../helpers/agent-harness.js';
import { savedRunValue } from '../helpers/run-records.js';
import {
  FlakyRegistrar,
  recordValues,
  spawnRun,
  until,
  writeConfig,
  type RunChild,
} from '../helpers/cli-child.js';

/**
 * The counter's last value: the exact one the running driver writes in place at every sample
 * (its line in `<stateDir>/drivers/counters.run`; `sim-counter.json` holds only a reservation). -1
 * before the first sample.
 */
function savedCounter(stateDir: string): number {
  return savedRunValue(stateDir, 'sim-counter') ?? -1;
}

/**
 * Resolves just after the counter took a sample (it saves its count in its state file then). The
 * counter samples every second (cron `* * * * * *`), so a stop right now falls between two samples,
 * not inside one (the driver saves the count before the reading reaches the agent, so a stop inside
 * a sample would skip a number here). Waits for that event rather than for a point in the second.
 */
async function justAfterASample(stateDir: string): Promise<void> {
  const before = savedCounter(stateDir);
  await until(() => savedCounter(stateDir) !== before, 'the counter to take its next sample');
}

test('SIGTERM during a drain: exit 0, link closed 1001, the outbox replayed on the next start', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'm2m-'));
  const registrar = await FlakyRegistrar.start();
  const values = recordValues(registrar.cse, 'counter');
  const runs: RunChild[] = [];
  t.after(async () => {
    for (const r of runs) await r.kill();
    values.stop();
    await registrar.close();
    rmSync(base, { recursive: true, force: true });
  });
  const stateDir = join(base, 'state');
  const raw = rawConfig(registrar.registrar, stateDir, {
    devices: [{ name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' }],
  });
  // One request at a time, so a held CREATE keeps the rest of the backlog in the outbox.
  const registrarRaw = { ...(raw['registrar'] as object), compat: { maxInFlight: 1 } };
  const config = join(base, 'config.json');
  writeConfig(config, { ...raw, registrar: registrarRaw });

  const first = spawnRun(config);
  runs.push(first);
  await until(() => values.values.length >= 2, 'two readings delivered while the link is up');

  // The registrar goes away: readings pile up in the outbox.
  await registrar.down();
  await until(() => first.logs.some((l) => l.msg === 'link backingOff'), 'the link to notice');
  await until(() => {
    try {
      return (
        (JSON.parse(readFileSync(join(stateDir, 'status.json'), 'utf8')) as { outbox: { depth: number } })
          .outbox.depth >= 3
      );
    } catch {
      return false; // mid-rename or not written yet: try again
    }
  }, 'three readings waiting in the outbox');

  // It comes back but does not answer contentInstance CREATEs: the agent is draining.
  registrar.hold();
  const back = await registrar.up();
  const closes: DisconnectionEvent[] = [];
  back.on('disconnection', (e) => closes.push(e));
  await registrar.heldOne();
  await justAfterASample(stateDir);
  first.child.kill('SIGTERM');
  // closeGraceSeconds is 1: the stop takes the grace, far inside the unit's TimeoutStopSec=30.
  const exit = await first.waitExit(10_000);
  assert.deepEqual(exit, { code: 0, signal: null }, first.stderr());
  await until(() => closes.length > 0, 'the registrar to see the close');
  assert.equal(closes[0]?.code, 1001, 'closed with 1001 (going away)');
  assert.ok(first.logs.some((l) => l.msg === 'stopped'));
  assert.ok(!first.logs.some((l) => /handles still open/.test(l.msg)), 'exited by itself');

  const last = savedCounter(stateDir);
  const status = await readStatus(stateDir);
  assert.ok(status && status.outbox.depth >= 3, `backlog kept on disk: ${JSON.stringify(status?.outbox)}`);
  registrar.release(); // the held CREATE completes now; that reading may arrive twice, which is allowed
  assert.ok(
    values.missing(0, last).length >= 2,
    'the backlog had not reached the registrar before the restart',
  );

  const second = spawnRun(config);
  runs.push(second);
  await until(
    () => values.missing(0, last).length === 0,
    `every reading 0..${last} at the registrar`,
    20_000,
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; missing ${values.missing(0, last).join(',')}`);
  });
  await until(() => values.values.some((v) => v > last), 'new readings after the restart');
  assert.equal(savedCounter(stateDir) > last, true);
  second.child.kill('SIGTERM');
  assert.deepEqual(await second.waitExit(10_000), { code: 0, signal: null }, second.stderr());
  // Nothing after the first reading was skipped across both runs.
  const upTo = Math.max(...values.values);
  assert.deepEqual(values.missing(0, upTo), []);
});
