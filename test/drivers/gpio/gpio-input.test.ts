import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GpioInputDriver } from '../../../src/drivers/gpio/gpio-input.js';
import { FakeGpio } from '../../../src/drivers/gpio/fake-gpio.js';
import { ManualClock } from '../../../src/util/clock.js';
import { AgentError } from '../../../src/util/errors.js';
import { PI4_CHIPS, PI5_CHIPS, makeGpioTree } from '../../helpers/fake-sysfs.js';
import type { FakeChip } from '../../helpers/fake-sysfs.js';
import { recordingContext } from '../context.js';

function sysfs(t: { after(fn: () => void): void }, chips: readonly FakeChip[] | undefined): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  fs.mkdirSync(path.join(root, 'class'));
  if (chips) makeGpioTree(path.join(root, 'class'), chips);
  return root;
}

test('reed switch on BCM 17 of a Pi 5: opens sysfs 588, reports the level at open and each change', async (t) => {
  const root = sysfs(t, PI5_CHIPS);
  const clock = new ManualClock();
  const bank = new FakeGpio(clock);
  bank.drive(588, 0);
  const driver = new GpioInputDriver(
    { gpio: 17, edge: 'both', debounceMs: 50 },
    { opener: bank.opener, sysfsRoot: root, readingName: 'open' },
  );
  const ctx = recordingContext(clock);
  await driver.open(ctx);
  assert.deepEqual(bank.opened, [588]);
  assert.deepEqual(ctx.emitted, [[{ n: 'open', vb: false, timeMs: clock.nowMs(), monoMs: 0 }]]);
  bank.drive(588, 1);
  clock.advance(10);
  bank.drive(588, 0); // bounce back within the debounce time: no change reported
  clock.advance(100);
  assert.equal(ctx.emitted.length, 1);
  bank.drive(588, 1);
  clock.advance(50);
  assert.equal(ctx.emitted.length, 2);
  assert.equal(ctx.emitted[1]?.[0]?.vb, true);
  assert.equal(ctx.emitted[1]?.[0]?.monoMs, 160);
  assert.deepEqual(await driver.sample(), [{ n: 'open', vb: true, timeMs: clock.nowMs(), monoMs: 160 }]);
  await driver.close();
  bank.drive(588, 0);
  clock.advance(100);
  assert.equal(ctx.emitted.length, 2);
});

test('button (activeLow, falling edges): each press is an event', async (t) => {
  const root = sysfs(t, PI4_CHIPS);
  const bank = new FakeGpio();
  bank.drive(539, 1); // pulled up, not pressed
  const driver = new GpioInputDriver(
    { gpio: 27, edge: 'rising', activeLow: true },
    { opener: bank.opener, sysfsRoot: root, readingName: 'pressed' },
  );
  const ctx = recordingContext();
  await driver.open(ctx);
  for (let i = 0; i < 2; i++) {
    bank.drive(539, 0); // pressed: logical 1
    bank.drive(539, 1); // released: a falling logical edge, not watched
  }
  assert.deepEqual(
    ctx.emitted.map((b) => b[0]?.vb),
    [false, true, true],
  );
  await driver.close();
});

test('no /sys/class/gpio: GPIO_SYSFS_MISSING; unknown board: GPIO_CHIP_NOT_FOUND unless sysfsBase is set', async (t) => {
  const bank = new FakeGpio();
  const none = sysfs(t, undefined);
  const d1 = new GpioInputDriver({ gpio: 17 }, { opener: bank.opener, sysfsRoot: none });
  await assert.rejects(
    d1.open(recordingContext()),
    (e: unknown) => e instanceof AgentError && e.code === 'GPIO_SYSFS_MISSING',
  );
  const odd = sysfs(t, [{ base: 0, label: 'sunxi-pinctrl', ngpio: 288 }]);
  const d2 = new GpioInputDriver({ gpio: 17 }, { opener: bank.opener, sysfsRoot: odd });
  await assert.rejects(
    d2.open(recordingContext()),
    (e: unknown) => e instanceof AgentError && e.code === 'GPIO_CHIP_NOT_FOUND',
  );
  const d3 = new GpioInputDriver({ gpio: 17, sysfsBase: 0 }, { opener: bank.opener, sysfsRoot: odd });
  await d3.open(recordingContext());
  assert.deepEqual(bank.opened, [17]);
  await d3.close();
  assert.deepEqual(bank.opened, [17]);
});

test('bad params are refused at construction with the key path', () => {
  const bank = new FakeGpio();
  for (const [params, key] of [
    [{}, 'params.gpio'],
    [{ gpio: 60 }, 'params.gpio'],
    [{ gpio: 4, edge: 'up' }, 'params.edge'],
    [{ gpio: 4, debounceMs: -1 }, 'params.debounceMs'],
    [{ gpio: 4, activeLow: 'yes' }, 'params.activeLow'],
  ] as const) {
    assert.throws(
      () => new GpioInputDriver(params, { opener: bank.opener }),
      (e: unknown) => e instanceof AgentError && e.code === 'DRIVER_BAD_PARAMS' && e.message.startsWith(key),
    );
  }
});
