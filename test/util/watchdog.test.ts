import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWatchdog, writableDirCheck } from '../../src/util/watchdog.js';
import { ManualClock, type Clock, type TimerHandle } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';

/** Lets the async tick (health check, then ping) finish. */
const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function countingNotifier(): { pings: number; watchdogPing(): Promise<void> } {
  const n = {
    pings: 0,
    watchdogPing: () => {
      n.pings++;
      return Promise.resolve();
    },
  };
  return n;
}

async function advance(clock: ManualClock, ms: number): Promise<void> {
  clock.advance(ms);
  await flush();
}

test('pings once at start and then every interval while healthy', async () => {
  const clock = new ManualClock();
  const notifier = countingNotifier();
  const wd = startWatchdog({ intervalMs: 1000, notifier, healthCheck: () => true, clock });
  await advance(clock, 0);
  assert.equal(notifier.pings, 1);
  await advance(clock, 1000);
  await advance(clock, 1000);
  assert.equal(notifier.pings, 3);
  assert.equal(wd.state().skipped, 0);
  wd.stop();
  assert.equal(clock.pendingTimers(), 0);
  await advance(clock, 5000);
  assert.equal(notifier.pings, 3);
});

test('an unhealthy check withholds pings, logs once, and pings resume when healthy again', async () => {
  const clock = new ManualClock();
  const notifier = countingNotifier();
  const log = memoryLogger();
  let healthy = false;
  const wd = startWatchdog({
    intervalMs: 1000,
    notifier,
    healthCheck: () => Promise.resolve(healthy),
    clock,
    logger: log,
  });
  await advance(clock, 0);
  await advance(clock, 1000);
  await advance(clock, 1000);
  assert.equal(notifier.pings, 0);
  assert.equal(wd.state().skipped, 3);
  assert.equal(wd.state().lastSkipReason, 'unhealthy');
  assert.equal(log.lines.filter((l) => l.level === 'warn').length, 1);
  healthy = true;
  await advance(clock, 1000);
  assert.equal(notifier.pings, 1);
  assert.equal(wd.state().lastSkipReason, undefined);
  assert.ok(log.lines.some((l) => l.msg === 'watchdog pings resumed'));
  wd.stop();
});

test('a throwing or rejecting health check counts as unhealthy and is logged', async () => {
  const clock = new ManualClock();
  const notifier = countingNotifier();
  const log = memoryLogger();
  let mode: 'throw' | 'reject' = 'throw';
  const wd = startWatchdog({
    intervalMs: 1000,
    notifier,
    clock,
    logger: log,
    healthCheck: () => {
      if (mode === 'throw') throw new Error('EIO');
      return Promise.reject(new Error('EROFS'));
    },
  });
  await advance(clock, 0);
  mode = 'reject';
  await advance(clock, 1000);
  assert.equal(notifier.pings, 0);
  const errors = log.lines.filter((l) => l.level === 'error').map((l) => String(l.fields['error']));
  assert.deepEqual(errors, ['EIO', 'EROFS']);
  wd.stop();
});

/** A clock whose timers can fire late, as they do when the event loop was blocked. */
class LateClock implements Clock {
  mono = 0;
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private seq = 0;
  unrefs = 0;
  nowMs(): number {
    return this.mono;
  }
  monotonicMs(): number {
    return this.mono;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.push({ at: this.mono + ms, fn, id });
    return {
      id,
      unref: () => {
        this.unrefs++;
      },
    } as TimerHandle;
  }
  clearTimeout(h: TimerHandle): void {
    this.timers = this.timers.filter((t) => t.id !== (h as { id: number }).id);
  }
  /** Fires the next timer `lateMs` after it was due. */
  fireNext(lateMs: number): void {
    const t = this.timers.shift();
    assert.ok(t, 'no timer pending');
    this.mono = t.at + lateMs;
    t.fn();
  }
}

test('a late tick (blocked event loop) sends no ping; an on-time tick does', async () => {
  const clock = new LateClock();
  const notifier = countingNotifier();
  const wd = startWatchdog({ intervalMs: 1000, maxLagMs: 300, notifier, healthCheck: () => true, clock });
  clock.fireNext(0);
  await flush();
  assert.equal(notifier.pings, 1);
  clock.fireNext(800); // the loop was stuck for 0.8 s past the due time
  await flush();
  assert.equal(notifier.pings, 1);
  assert.equal(wd.state().lastSkipReason, 'lag');
  assert.equal(wd.state().lastLagMs, 800);
  clock.fireNext(100);
  await flush();
  assert.equal(notifier.pings, 2);
  wd.stop();
});

test("every timer is unref'd, so the watchdog never keeps the process alive", async () => {
  const clock = new LateClock();
  const wd = startWatchdog({
    intervalMs: 1000,
    notifier: countingNotifier(),
    healthCheck: () => true,
    clock,
  });
  clock.fireNext(0);
  clock.fireNext(0);
  await flush();
  assert.equal(clock.unrefs, 3);
  wd.stop();
});

test('a health check still pending at the next tick withholds that ping', async () => {
  const clock = new ManualClock();
  const notifier = countingNotifier();
  let release: (v: boolean) => void = () => undefined;
  const wd = startWatchdog({
    intervalMs: 1000,
    notifier,
    clock,
    healthCheck: () =>
      new Promise<boolean>((resolve) => {
        release = resolve;
      }),
  });
  await advance(clock, 0);
  await advance(clock, 1000);
  assert.equal(wd.state().lastSkipReason, 'check-pending');
  release(true);
  await flush();
  assert.equal(notifier.pings, 1);
  wd.stop();
});

test('rejects a non-positive interval', () => {
  assert.throws(
    () => startWatchdog({ intervalMs: 0, notifier: countingNotifier(), healthCheck: () => true }),
    RangeError,
  );
});

test('writableDirCheck: true for a writable dir (probe removed), false when missing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const log = memoryLogger();
  assert.equal(await writableDirCheck(dir, log)(), true);
  assert.deepEqual(readdirSync(dir), []);
  const missing = writableDirCheck(join(dir, 'gone'), log);
  assert.equal(await missing(), false);
  assert.equal(await missing(), false);
  assert.equal(log.lines.filter((l) => l.level === 'error').length, 1, 'logged once per outage');
});

/**
 * Root ignores file modes, so an unwritable state directory is made with a read-only bind mount
 * in a private mount namespace; the child runs the real watchdog with the real check against it.
 */
test('a read-only state directory stops watchdog pings (private mount namespace)', (t) => {
  const unshare = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']);
  if (unshare.status !== 0) {
    t.skip(
      `cannot create a private mount namespace here (needs root and unshare): ${unshare.stderr.toString().trim()}`,
    );
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'm2m-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const moduleUrl = new URL('../../src/util/watchdog.js', import.meta.url).href;
  const clockUrl = new URL('../../src/util/clock.js', import.meta.url).href;
  const script = `
    import { startWatchdog, writableDirCheck } from ${JSON.stringify(moduleUrl)};
    import { ManualClock } from ${JSON.stringify(clockUrl)};
    const clock = new ManualClock();
    let pings = 0;
    const check = writableDirCheck(process.argv[2]);
    let pending = Promise.resolve(false);
    const healthCheck = () => (pending = check());
    const wd = startWatchdog({ intervalMs: 1000, clock, healthCheck,
      notifier: { watchdogPing: async () => { pings++; } } });
    for (let i = 0; i < 3; i++) {
      clock.advance(i === 0 ? 0 : 1000);
      await pending;
      await new Promise((r) => setImmediate(r));
    }
    wd.stop();
    console.log(JSON.stringify({ pings, reason: wd.state().lastSkipReason ?? null }));
  `;
  // Under tsx (running the .ts sources) the child needs the same loader; compiled tests do not.
  const loader = import.meta.url.endsWith('.ts') ? '--import tsx' : '';
  const scriptPath = join(dir, 'child.mjs');
  const stateDir = join(dir, 'state');
  mkdirSync(stateDir);
  writeFileSync(scriptPath, script);
  const run = (readOnly: boolean): { pings: number; reason: string | null } => {
    const mount = readOnly ? 'mount --bind "$3" "$3" && mount -o remount,ro,bind "$3" "$3" && ' : '';
    const res = spawnSync(
      'unshare',
      [
        '--mount',
        '--propagation',
        'private',
        'sh',
        '-c',
        `${mount}exec "$1" ${loader} "$2" "$3"`,
        'sh',
        process.execPath,
        scriptPath,
        stateDir,
      ],
      { encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)) },
    );
    assert.equal(res.status, 0, res.stderr);
    return JSON.parse(res.stdout.trim().split('\n').pop()!) as { pings: number; reason: string | null };
  };
  assert.deepEqual(run(false), { pings: 3, reason: null });
  assert.deepEqual(run(true), { pings: 0, reason: 'unhealthy' });
});
