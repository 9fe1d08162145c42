import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { correctedWallMs, elapsedMs, kernelBootId, readBootId, stampNow } from '../../src/util/clock-jump.js';
import { ManualClock, bootClock } from '../../src/util/clock.js';

const YEAR_MS = 365 * 24 * 3600 * 1000;

describe('correctedWallMs and elapsedMs', () => {
  it('same boot: derived from the monotonic clock, whatever the wall clock did', () => {
    const clock = new ManualClock(0); // a board without RTC starts in 1970
    const reading = stampNow(clock, 'b1');
    clock.advance(90_000);
    clock.jumpWall(Date.UTC(2026, 2, 1) - clock.nowMs()); // NTP answers
    const now = stampNow(clock, 'b1');
    assert.equal(correctedWallMs(reading, now), Date.UTC(2026, 2, 1) - 90_000);
    assert.equal(elapsedMs(reading, now), 90_000);
    clock.jumpWall(-30 * YEAR_MS);
    const later = stampNow(clock, 'b1');
    assert.equal(elapsedMs(reading, later), 90_000, 'a jump back changes no age');
    assert.equal(correctedWallMs(reading, later), later.wallMs - 90_000);
  });

  it('another boot: the stored wall time, and a wall difference clamped at zero', () => {
    const reading = { wallMs: Date.UTC(2026, 0, 1), monoMs: 5_000, bootId: 'old' };
    const now = { wallMs: Date.UTC(2026, 0, 1, 0, 10), monoMs: 100, bootId: 'new' };
    assert.equal(correctedWallMs(reading, now), reading.wallMs);
    assert.equal(elapsedMs(reading, now), 600_000);
    assert.equal(elapsedMs(reading, { ...now, wallMs: 0 }), 0);
  });
});

describe('readBootId and bootClock', () => {
  it('reads the id from the file, and falls back to a stable per-process id', () => {
    const dir = fs.mkdtempSync(os.tmpdir() + '/m2m-');
    try {
      const p = join(dir, 'boot_id');
      fs.writeFileSync(p, 'abc-123\n');
      assert.equal(readBootId(p), 'abc-123');
      const fallback = readBootId(join(dir, 'missing'));
      assert.match(fallback, /^process-/);
      assert.equal(readBootId(join(dir, 'missing')), fallback);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("readBootId takes the unit's %b boot id when /proc hides the file", () => {
    const missing = join(os.tmpdir(), `no-boot-id-${process.pid}`);
    const env = { M2M_AGENT_BOOT_ID: '0123456789ABCDEF0123456789abcdef' };
    // The dashed form of the kernel file, so stamps from before and after an upgrade still compare.
    assert.equal(readBootId(missing, env), '01234567-89ab-cdef-0123-456789abcdef');
    assert.equal(kernelBootId(missing, env), '01234567-89ab-cdef-0123-456789abcdef');
    assert.equal(kernelBootId(missing, { M2M_AGENT_BOOT_ID: 'not-an-id' }), undefined);
    assert.match(readBootId(missing, {}), /^process-/);
  });

  it('bootClock has one monotonic origin for every process of the boot', (t) => {
    if (process.platform !== 'linux') {
      t.skip('CLOCK_MONOTONIC origin checked on Linux only');
      return;
    }
    const before = bootClock.monotonicMs();
    const child = spawnSync(process.execPath, [
      '-e',
      'process.stdout.write(String(Number(process.hrtime.bigint()) / 1e6))',
    ]);
    const inChild = Number(child.stdout.toString());
    const afterMs = bootClock.monotonicMs();
    assert.ok(inChild >= before && inChild <= afterMs, `${before} <= ${inChild} <= ${afterMs}`);
    const uptimeMs = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1000;
    assert.ok(Math.abs(bootClock.monotonicMs() - uptimeMs) < 60_000 + uptimeMs * 0.01, 'counts from boot');
    assert.ok(Math.abs(bootClock.nowMs() - Date.now()) < 1000);
  });
});
