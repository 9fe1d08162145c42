import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DRIVER_NAMES, createDriver, isDriverName } from '../../src/drivers/registry.js';
import { SimDriver } from '../../src/drivers/sim.js';
import { GpioInputDriver } from '../../src/drivers/gpio/gpio-input.js';
import { GpioOutputDriver } from '../../src/drivers/gpio/gpio-output.js';
import { W1Ds18b20Driver } from '../../src/drivers/file/w1-ds18b20.js';
import { ThermalDriver } from '../../src/drivers/file/thermal.js';
import { SerialLineDriver } from '../../src/drivers/serial/line-driver.js';
import { NmeaDriver } from '../../src/drivers/serial/nmea-driver.js';
import { Pms5003Driver } from '../../src/drivers/serial/pms5003-driver.js';
import { Mhz19Driver } from '../../src/drivers/serial/mhz19-driver.js';
import { FakeGpio } from '../../src/drivers/gpio/fake-gpio.js';
import { AgentError } from '../../src/util/errors.js';
import { PI4_CHIPS, makeGpioTree, writeThermalZone } from '../helpers/fake-sysfs.js';
import { recordingContext } from './context.js';

test('every driver name creates its driver class', () => {
  const params: Record<string, Record<string, unknown>> = {
    'gpio-input': { gpio: 17 },
    'gpio-output': { gpio: 27 },
    'serial-line': { path: '/dev/ttyUSB0', pattern: '(?<t>\\d+)' },
    nmea: { path: '/dev/ttyAMA0' },
    pms5003: { path: '/dev/serial0' },
    'mh-z19': { path: '/dev/serial0' },
  };
  const classes = {
    sim: SimDriver,
    'gpio-input': GpioInputDriver,
    'gpio-output': GpioOutputDriver,
    'w1-ds18b20': W1Ds18b20Driver,
    thermal: ThermalDriver,
    'serial-line': SerialLineDriver,
    nmea: NmeaDriver,
    pms5003: Pms5003Driver,
    'mh-z19': Mhz19Driver,
  };
  for (const name of DRIVER_NAMES) {
    assert.ok(createDriver(name, params[name] ?? {}) instanceof classes[name], name);
    assert.ok(isDriverName(name));
  }
  assert.equal(isDriverName('gpio'), false);
});

test('an unknown driver is DRIVER_UNKNOWN listing the known ones; bad params surface at creation', () => {
  assert.throws(
    () => createDriver('i2c-bme280', {}),
    (e: unknown) =>
      e instanceof AgentError && e.code === 'DRIVER_UNKNOWN' && (e.hint ?? '').includes('pms5003'),
  );
  assert.throws(
    () => createDriver('pms5003', {}),
    (e: unknown) => e instanceof AgentError && e.code === 'DRIVER_BAD_PARAMS',
  );
});

test('env: model readings name the reading and give the unit; roots, state dir and GPIO opener are used', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  const sim = createDriver(
    'sim',
    { waveform: 'counter' },
    { readings: [{ name: 'ticks', unit: 'count' }], stateDir: root, deviceName: 'demo-counter' },
  );
  await sim.open(recordingContext());
  const [r] = (await sim.sample?.()) ?? [];
  assert.deepEqual([r?.n, r?.v, r?.u], ['ticks', 0, 'count']);
  assert.ok(fs.existsSync(path.join(root, 'drivers', 'sim-demo-counter.json')));

  writeThermalZone(path.join(root, 'thermal'), 'thermal_zone0', '40000');
  const cpu = createDriver('thermal', {}, { thermalRoot: path.join(root, 'thermal') });
  await cpu.open(recordingContext());
  assert.equal((await cpu.sample?.())?.[0]?.v, 40);

  makeGpioTree(path.join(root, 'sys', 'class'), PI4_CHIPS);
  const bank = new FakeGpio();
  const pir = createDriver(
    'gpio-input',
    { gpio: 4 },
    { sysfsRoot: path.join(root, 'sys'), gpioOpener: bank.opener, readings: [{ name: 'motion' }] },
  );
  const ctx = recordingContext();
  await pir.open(ctx);
  assert.deepEqual(bank.opened, [516]);
  assert.equal(ctx.emitted[0]?.[0]?.n, 'motion');
  await pir.close();
});
