/**
 * The bundled device files (`devices/*.json`): each validates against the device schema (through
 * the config loader, which uses `schema/device.schema.json`), names a driver this build has, and
 * its defaults make a working driver whose readings carry the names and units the file declares.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDeviceModels } from '../../src/config/models.js';
import type { DeviceModel } from '../../src/config/models.js';
import { createDriver, isDriverName } from '../../src/drivers/registry.js';
import type { DriverEnv } from '../../src/drivers/registry.js';
import type { Reading } from '../../src/drivers/types.js';
import { FakeGpio } from '../../src/drivers/gpio/fake-gpio.js';
import {
  PI4_CHIPS,
  makeGpioTree,
  w1SlaveText,
  writeThermalZone,
  writeW1Slave,
} from '../helpers/fake-sysfs.js';
import { createPtyPair, openPeer } from '../helpers/pty.js';
import * as NMEA from '../fixtures/serial/nmea.js';
import * as PMS from '../fixtures/serial/pms5003.js';
import * as MHZ from '../fixtures/serial/mhz19.js';
import { recordingContext } from './context.js';
import { needsSocat } from './serial/pty-driver.js';

const devicesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../devices');

const SHIPPED = [
  'sim',
  'sim-switch',
  'gpio-input',
  'button',
  'reed-switch',
  'pir-motion',
  'relay',
  'led',
  'ds18b20',
  'cpu-temperature',
  'serial-line',
  'nmea-gps',
  'pms5003',
  'mh-z19',
];

function bundled(): Map<string, DeviceModel> {
  const { models, issues } = loadDeviceModels([devicesDir]);
  assert.deepEqual(issues, []);
  return models;
}

function model(name: string): DeviceModel {
  const m = bundled().get(name);
  assert.ok(m, name);
  return m;
}

test('every shipped model file validates, and the set is complete', () => {
  const models = bundled();
  assert.deepEqual([...models.keys()].sort(), [...SHIPPED].sort());
  for (const file of fs.readdirSync(devicesDir)) {
    const raw = JSON.parse(fs.readFileSync(path.join(devicesDir, file), 'utf8')) as Record<string, unknown>;
    assert.equal(raw['$schema'], '../schema/device.schema.json', file);
    for (const key of [
      'model',
      'description',
      'driver',
      'kind',
      'params',
      'paramsSchema',
      'readings',
      'eventCategory',
      'container',
    ]) {
      assert.ok(key in raw, `${file}: ${key}`);
    }
  }
});

test('every model names a known driver, declares readings, and actuators are the models whose driver takes commands', () => {
  const required: Record<string, Record<string, unknown>> = {
    'gpio-input': { gpio: 17 },
    'gpio-output': { gpio: 27 },
    'serial-line': { path: '/dev/ttyUSB0' },
    nmea: { path: '/dev/ttyAMA0' },
    pms5003: { path: '/dev/serial0' },
    'mh-z19': { path: '/dev/serial0' },
  };
  for (const m of bundled().values()) {
    assert.ok(isDriverName(m.driver), `${m.model}: driver ${m.driver}`);
    assert.ok(m.readings.length > 0, m.model);
    const driver = createDriver(m.driver, { ...m.params, ...required[m.driver] }, { readings: m.readings });
    assert.equal(typeof driver.actuate === 'function', m.kind === 'actuator', m.model);
    // A streaming or polled sensor without a schedule would never report anything.
    if (['w1-ds18b20', 'thermal', 'nmea', 'pms5003', 'mh-z19', 'serial-line'].includes(m.driver)) {
      assert.ok(m.sample !== undefined || m.params['events'] === true, `${m.model} needs a sample`);
    }
  }
});

/** Asserts that the readings carry names and units declared by the model. */
function assertDeclared(m: DeviceModel, readings: readonly Reading[]): void {
  assert.ok(readings.length > 0, m.model);
  for (const r of readings) {
    const spec = m.readings.find((s) => s.name === r.n);
    assert.ok(spec, `${m.model}: reading "${r.n}" is not declared`);
    assert.equal(r.u, spec.unit, `${m.model}: unit of ${r.n}`);
  }
}

test('GPIO, file and sim models produce the readings they declare', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  makeGpioTree(path.join(root, 'sys', 'class'), PI4_CHIPS);
  writeW1Slave(
    path.join(root, 'w1'),
    '28-000005e2fdc3',
    w1SlaveText('72 01 4b 46 7f ff 0e 10 57', true, 23125),
  );
  writeThermalZone(path.join(root, 'thermal'), 'thermal_zone0', '45000\n');
  const bank = new FakeGpio();
  const env: DriverEnv = {
    sysfsRoot: path.join(root, 'sys'),
    w1Root: path.join(root, 'w1'),
    thermalRoot: path.join(root, 'thermal'),
    stateDir: path.join(root, 'state'),
    gpioOpener: bank.opener,
  };
  const pins: Record<string, number> = {
    'gpio-input': 5,
    button: 6,
    'reed-switch': 13,
    'pir-motion': 19,
    relay: 26,
    led: 21,
  };
  for (const name of [
    'sim',
    'sim-switch',
    'gpio-input',
    'button',
    'reed-switch',
    'pir-motion',
    'relay',
    'led',
    'ds18b20',
    'cpu-temperature',
  ]) {
    const m = model(name);
    const params = { ...m.params, ...(pins[name] === undefined ? {} : { gpio: pins[name] }) };
    const driver = createDriver(m.driver, params, { ...env, deviceName: name, readings: m.readings });
    const ctx = recordingContext();
    await driver.open(ctx);
    const out = [
      ...ctx.emitted.flat(),
      ...((await driver.sample?.()) ?? []),
      ...((await driver.actuate?.(true)) ?? []),
    ];
    assertDeclared(m, out);
    await driver.close();
  }
});

test('serial models produce the readings they declare (over a pty)', { skip: needsSocat }, async (t) => {
  const pair = await createPtyPair();
  t.after(() => pair.cleanup());
  const peer = await openPeer(pair.b);
  t.after(() => peer.close());
  const feeds: Record<string, () => Promise<void>> = {
    'serial-line': () => peer.write('21.5\r\n'),
    'nmea-gps': () => peer.write(`${NMEA.GGA_MUNICH}\r\n`),
    pms5003: () => peer.write(PMS.FRAME_CLEAN),
    'mh-z19': async () => {
      await peer.take(9);
      await peer.write(MHZ.RESPONSE_608);
    },
  };
  for (const [name, feed] of Object.entries(feeds)) {
    const m = model(name);
    const driver = createDriver(
      m.driver,
      { ...m.params, path: pair.a, events: name !== 'mh-z19' },
      { readings: m.readings },
    );
    const ctx = recordingContext();
    await driver.open(ctx);
    let out: readonly Reading[];
    if (name === 'mh-z19') {
      const sampled = driver.sample?.();
      await feed();
      out = (await sampled) ?? [];
    } else {
      await feed();
      await ctx.waitFor(() => ctx.emitted.length > 0);
      out = ctx.emitted.flat();
    }
    assertDeclared(m, out);
    await driver.close();
  }
});

test('a new model for an existing driver is only a file; a broken one is reported with its path', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const doorbell = {
    $schema: '../schema/device.schema.json',
    model: 'doorbell',
    description: 'a bell push on a GPIO pin',
    driver: 'gpio-input',
    kind: 'sensor',
    params: { edge: 'rising', activeLow: true, debounceMs: 30 },
    paramsSchema: {
      type: 'object',
      properties: {
        gpio: { type: 'integer' },
        edge: { type: 'string' },
        activeLow: { type: 'boolean' },
        debounceMs: { type: 'integer' },
      },
      required: ['gpio'],
      additionalProperties: false,
    },
    readings: [{ name: 'ring' }],
    eventCategory: 'immediate',
  };
  fs.writeFileSync(path.join(dir, 'doorbell.json'), JSON.stringify(doorbell));
  fs.writeFileSync(
    path.join(dir, 'broken.json'),
    JSON.stringify({ ...doorbell, model: 'broken', kind: 'sensr' }),
  );
  const { models, issues } = loadDeviceModels([devicesDir, dir]);
  assert.ok(models.has('relay') && models.has('doorbell'));
  assert.equal(issues.length, 1);
  assert.match(issues[0]?.path ?? '', /broken\.json: kind$/);

  const m = models.get('doorbell');
  assert.ok(m);
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  makeGpioTree(path.join(root, 'class'), PI4_CHIPS);
  const bank = new FakeGpio();
  bank.drive(534, 1);
  const driver = createDriver(
    m.driver,
    { ...m.params, gpio: 22 },
    { sysfsRoot: root, gpioOpener: bank.opener, readings: m.readings },
  );
  const ctx = recordingContext();
  await driver.open(ctx);
  bank.drive(534, 0); // pressed (active low), reported after the 30 ms debounce
  await ctx.waitFor(() => ctx.emitted.length === 2);
  assert.deepEqual(
    ctx.emitted.flat().map((r) => [r.n, r.vb]),
    [
      ['ring', false],
      ['ring', true],
    ],
  );
  await driver.close();
});
