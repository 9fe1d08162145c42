/**
 * Runs inside `unshare --mount --uts --propagation private` (started by onoff-gpio.test.ts, as
 * root): a tmpfs over /sys/class holds a fake GPIO tree of a Pi 4 on a 6.6 kernel (gpiochip512),
 * and /proc/sys/kernel/hostname is bind-mounted onto gpio529/value, so a write to it raises
 * EPOLLPRI and onoff's real interrupt and debounce code runs (toolchain.md). Outside that
 * namespace this file does nothing.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createOnoffOpener } from '../../../src/drivers/gpio/onoff-gpio.js';
import { GpioInputDriver } from '../../../src/drivers/gpio/gpio-input.js';
import { GpioOutputDriver } from '../../../src/drivers/gpio/gpio-output.js';
import type { GpioLevel } from '../../../src/drivers/gpio/gpio-pin.js';
import { PI4_CHIPS, makeGpioTree } from '../../helpers/fake-sysfs.js';
import { recordingContext } from '../context.js';
import { gpioPinContract } from './gpio-pin-contract.js';

const INSIDE = process.env['M2M_GPIO_NAMESPACE'] === '1';
const GPIO = '/sys/class/gpio';
const INPUT = 529; // BCM 17 on gpiochip512
const OUTPUT = 530; // BCM 18

if (INSIDE) {
  before(() => {
    execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', '/sys/class']);
    makeGpioTree('/sys/class', PI4_CHIPS, [INPUT, OUTPUT]);
    fs.writeFileSync('/proc/sys/kernel/hostname', '0');
    execFileSync('mount', ['--bind', '/proc/sys/kernel/hostname', `${GPIO}/gpio${INPUT}/value`]);
  });

  const drive = (level: GpioLevel): void => {
    fs.writeFileSync(`${GPIO}/gpio${INPUT}/value`, String(level));
  };
  const observe = (): GpioLevel =>
    fs.readFileSync(`${GPIO}/gpio${OUTPUT}/value`, 'utf8').startsWith('1') ? 1 : 0;

  gpioPinContract('OnoffGpio (fake sysfs, private namespace)', () =>
    Promise.resolve({ opener: createOnoffOpener(), inputLine: INPUT, outputLine: OUTPUT, drive, observe }),
  );

  test('onoff: the input driver maps BCM 17 through gpiochip512 and emits edges', async () => {
    drive(0);
    const driver = new GpioInputDriver(
      { gpio: 17, edge: 'both' },
      { opener: createOnoffOpener(), sysfsRoot: '/sys', readingName: 'motion' },
    );
    const ctx = recordingContext();
    await driver.open(ctx);
    try {
      assert.deepEqual(
        ctx.emitted.flat().map((r) => r.vb),
        [false],
      );
      assert.equal(fs.readFileSync(`${GPIO}/gpio${INPUT}/edge`, 'utf8'), 'both');
      drive(1);
      await ctx.waitFor(() => ctx.emitted.length === 2);
      assert.equal(ctx.emitted[1]?.[0]?.n, 'motion');
      assert.equal(ctx.emitted[1]?.[0]?.vb, true);
    } finally {
      await driver.close();
    }
    assert.equal(fs.readFileSync(`${GPIO}/unexport`, 'utf8'), String(INPUT));
  });

  const stateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  after(() => {
    fs.rmSync(stateDir, { recursive: true, force: true });
  });

  test('onoff: the output driver drives sysfs 530 and restores the last level after a restart', async () => {
    const make = () =>
      new GpioOutputDriver(
        { gpio: 18, initial: 0 },
        { opener: createOnoffOpener(), sysfsRoot: '/sys', stateDir, stateKey: 'fan' },
      );
    const first = make();
    await first.open(recordingContext());
    assert.equal(fs.readFileSync(`${GPIO}/gpio${OUTPUT}/direction`, 'utf8'), 'low');
    assert.equal(observe(), 0);
    await first.actuate(true);
    assert.equal(observe(), 1);
    await first.close();
    fs.writeFileSync(`${GPIO}/gpio${OUTPUT}/value`, '0'); // as if the board had rebooted
    const second = make();
    const ctx = recordingContext();
    await second.open(ctx);
    // Opened straight at the restored level ('high' sets direction and level in one step).
    assert.equal(fs.readFileSync(`${GPIO}/gpio${OUTPUT}/direction`, 'utf8'), 'high');
    assert.equal(observe(), 1);
    assert.equal(ctx.emitted[0]?.[0]?.vb, true);
    await second.close();
  });
}
