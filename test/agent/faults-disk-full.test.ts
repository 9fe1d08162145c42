/**
 * A full disk degrades, never dead-ends (real tmpfs, real agent, real registrar): the state
 * directory is a small tmpfs, 20 `bestEffort` counters and one `immediate` one sample while the
 * registrar is down, the disk fills. Eviction frees real space (the oldest `bestEffort` readings
 * go, no `immediate` one is refused), nothing leaks, the log says it once, the status file stays
 * true; then the registrar comes up: the agent registers although `identity.json` cannot be
 * written, delivers what was kept in order per device, and saves its identity once there is room.
 * A second run registers first (the registrar then goes away, as in the field report where the
 * link came back and sent nothing): the buffered readings must be sent once it is back.
 *
 * Needs root (it mounts a tmpfs in a temp directory and unmounts it at the end); skipped otherwise.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeConfig, waitFor } from '../helpers/agent-harness.js';
import { startAgent } from '../../src/main.js';
import { decodePending } from '../../src/agent/pending.js';
import { memoryLogger } from '../../src/util/log.js';
import type { StatusSnapshot } from '../../src/agent/status.js';
import type { Cse } from '../../src/cse/cse.js';
import {
  collectDeliveries,
  faultConfig,
  registrarOn,
  reservePort,
  sequenceOf,
  valuesOf,
} from './fixtures/fault-kit.js';

const isRoot = process.getuid?.() === 0;
/** Free bytes left on the tmpfs when the agent starts (a ballast file takes the rest). */
// ~170 KiB go to the 21 sims' small state files (a reservation and an exact-value record each, a
// 4 KiB page per file); the rest is for the outbox.
const FREE_BYTES = 320 * 1024;

function mountTmpfs(): string {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-diskfull-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0755', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return dir;
}

function unmount(dir: string): void {
  try {
    execFileSync('umount', [dir]);
  } catch {
    execFileSync('umount', ['-l', dir]); // still busy: detach it, the kernel frees it when unused
  }
  rmSync(dir, { recursive: true, force: true });
}

function devices(): Record<string, unknown>[] {
  const list: Record<string, unknown>[] = Array.from({ length: 20 }, (_, i) => ({
    name: `be${i}`,
    model: 'sim',
    params: { waveform: 'counter' },
    sample: '* * * * * *',
    eventCategory: 'bestEffort',
  }));
  list.push({
    name: 'alarm',
    model: 'sim',
    params: { waveform: 'counter' },
    sample: '* * * * * *',
    eventCategory: 'immediate',
  });
  return list;
}

/** Why the test cannot run here (not root, or no right to mount, e.g. in a container), or false. */
function cannotMount(): string | false {
  if (!isRoot) return 'needs root to mount a tmpfs (CI runs as root)';
  try {
    unmount(mountTmpfs());
    return false;
  } catch (err) {
    return `cannot mount a tmpfs here: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

const skip = cannotMount();

test(
  'a full disk: real space freed, immediate kept, nothing leaked, then everything kept delivered in order',
  { skip, timeout: 600_000 },
  () => fullDisk(false),
);

test(
  'a full disk after registering: once the registrar is back the buffered readings are sent',
  { skip, timeout: 600_000 },
  () => fullDisk(true),
);

async function fullDisk(registeredBefore: boolean): Promise<void> {
  const mnt = mountTmpfs();
  const stateDir = join(mnt, 'state');
  const ballast = join(mnt, 'ballast');
  const fs0 = statfsSync(mnt);
  writeFileSync(ballast, Buffer.alloc(Math.max(0, fs0.bavail * fs0.bsize - FREE_BYTES)));
  const port = await reservePort();
  const logger = memoryLogger();
  const config = makeConfig(
    faultConfig(`ws://127.0.0.1:${port}/`, stateDir, { serializations: ['json'], devices: devices() }),
  );
  const agent = await startAgent(config, { logger });
  const registrars: { close(): Promise<void> }[] = [];
  let cse: Cse | undefined;
  try {
    if (registeredBefore) {
      const first = await registrarOn(port);
      cse = first.cse;
      await waitFor(() => existsSync(join(stateDir, 'identity.json')), 'registered and saved');
      await first.close();
    }
    // 1. The registrar is down; the disk fills and stays full for a while.
    await waitFor(
      () => agent.outbox.stats().evictedForSpace >= 60,
      'several evictions for space',
      60_000,
    ).catch((err: unknown) => {
      const msgs = logger.lines
        .filter((l) => l.level !== 'debug')
        .map((l) => `${l.msg} ${JSON.stringify(l.fields)}`);
      throw new Error(
        `${String(err)}\n${JSON.stringify(agent.outbox.stats())}\n${msgs.slice(0, 30).join('\n')}`,
      );
    });
    const s = agent.outbox.stats();
    assert.equal(s.refusedFull, 0, 'nothing refused: an older bestEffort reading could always go');
    assert.ok(s.byEc.immediate > 0);
    assert.equal(s.evicted, s.evictedForSpace);
    const alarm = agent.snapshot().devices.alarm;
    assert.ok(alarm);
    // Every immediate reading is kept (one may still be on its way into the outbox).
    assert.ok(s.byEc.immediate >= alarm.readings - 1, `${s.byEc.immediate} of ${alarm.readings} kept`);
    const drivers = readdirSync(join(stateDir, 'drivers'));
    assert.deepEqual(
      drivers.filter((n) => n.includes('.tmp')),
      [],
      'no temporary file left behind',
    );
    const lines = logger.lines.filter((l) => l.level !== 'debug');
    const count = (msg: RegExp): number => lines.filter((l) => msg.test(l.msg)).length;
    assert.ok(count(/cannot save sim state/) <= 21, `sim state lines: ${count(/cannot save sim state/)}`);
    assert.ok(count(/cannot write the status file/) <= 1);
    assert.equal(count(/reading could not be buffered/), 0);
    assert.ok(lines.length < 100, `${lines.length} log lines`);
    // The status file keeps telling the truth (written in place when no temp file fits).
    await waitFor(() => {
      const st = JSON.parse(readFileSync(join(stateDir, 'status.json'), 'utf8')) as StatusSnapshot;
      return st.outbox.evicted >= 60;
    }, 'the status file shows the evictions');

    // 2. What is kept when the registrar comes up must be delivered, in order per device.
    const kept = (await agent.outbox.next(1e6)).map((e) => decodePending(e.payload));
    assert.ok(kept.length > 100);
    const registrar = await registrarOn(port, cse);
    registrars.push(registrar);
    const delivered = collectDeliveries(registrar.cse);
    // Indexed as they come: a scan of thousands per poll would starve the agent in this process.
    const deliveredKeys = new Set<string>();
    let indexed = 0;
    const isDelivered = (device: string, v: number): boolean => {
      for (; indexed < delivered.length; indexed++) {
        const d = delivered[indexed];
        if (d) deliveredKeys.add(`${d.device}\0${String(d.value)}`);
      }
      return deliveredKeys.has(`${device}\0${String(v)}`);
    };
    // Thousands of readings drain at whatever pace a loaded machine allows: fail only when
    // delivery stalls, not after a fixed time.
    let seen = -1;
    let stalledSince = Date.now();
    await waitFor(
      () => {
        if (delivered.length !== seen) {
          seen = delivered.length;
          stalledSince = Date.now();
        }
        if (Date.now() - stalledSince > 30_000)
          throw new Error(`delivery stalled at ${seen} of ${kept.length}`);
        return kept.every((p) => isDelivered(p.device, p.readings[0]?.v ?? NaN));
      },
      'everything kept delivered',
      600_000,
    );
    for (const d of ['alarm', ...Array.from({ length: 20 }, (_, i) => `be${i}`)]) {
      const seq = sequenceOf(valuesOf(delivered, d));
      assert.equal(seq.outOfOrder, 0, `${d}: in order`);
    }
    assert.ok(agent.registration.current(), 'registered');
    // 3. Space comes back as the outbox drains: the identity is saved.
    await waitFor(() => existsSync(join(stateDir, 'identity.json')), 'identity.json saved', 30_000);
  } finally {
    await agent.stop();
    for (const r of registrars) await r.close();
    unmount(mnt);
  }
}
