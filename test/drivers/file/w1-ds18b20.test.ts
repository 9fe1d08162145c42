import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { W1Ds18b20Driver, parseW1Slave } from '../../../src/drivers/file/w1-ds18b20.js';
import { ManualClock } from '../../../src/util/clock.js';
import { AgentError } from '../../../src/util/errors.js';
import { w1SlaveText, writeW1Slave } from '../../helpers/fake-sysfs.js';
import { recordingContext } from '../context.js';

const ID = '28-000005e2fdc3';
const code = (c: string) => (e: unknown) => e instanceof AgentError && e.code === c;

function w1Root(t: { after(fn: () => void): void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  return root;
}

test('parseW1Slave: the kernel format, negative values, CRC NO, 85 °C, no t=', () => {
  // Scratchpad 0x0172 = 370 × 0.0625 = 23.125 °C, as the kernel prints it.
  assert.equal(
    parseW1Slave('72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=23125\n'),
    23.125,
  );
  assert.equal(
    parseW1Slave('5e ff 4b 46 7f ff 02 10 2d : crc=2d YES\n5e ff 4b 46 7f ff 02 10 2d t=-10125\n'),
    -10.125,
  );
  assert.throws(
    () => parseW1Slave('72 01 4b 46 7f ff 0e 10 57 : crc=57 NO\n72 01 4b 46 7f ff 0e 10 57 t=23125\n'),
    code('SENSOR_CRC_ERROR'),
  );
  assert.throws(
    () => parseW1Slave('50 05 4b 46 7f ff 0c 10 1c : crc=1c YES\n50 05 4b 46 7f ff 0c 10 1c t=85000\n'),
    code('SENSOR_BAD_VALUE'),
  );
  assert.throws(() => parseW1Slave('72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n'), code('SENSOR_BAD_VALUE'));
  assert.throws(() => parseW1Slave(''), code('SENSOR_CRC_ERROR'));
});

test('driver: samples the file, stamps from the clock, fails per sample on CRC NO and 85 °C', async (t) => {
  const root = w1Root(t);
  const file = writeW1Slave(root, ID, w1SlaveText('72 01 4b 46 7f ff 0e 10 57', true, 23125));
  const clock = new ManualClock();
  const driver = new W1Ds18b20Driver({ sensorId: ID }, root);
  await driver.open(recordingContext(clock));
  clock.advance(2000);
  assert.deepEqual(await driver.sample(), [
    { n: 'temperature', v: 23.125, u: 'Cel', timeMs: clock.nowMs(), monoMs: 2000 },
  ]);
  fs.writeFileSync(file, w1SlaveText('72 01 4b 46 7f ff 0e 10 57', false, 23125));
  await assert.rejects(driver.sample(), code('SENSOR_CRC_ERROR'));
  fs.writeFileSync(file, w1SlaveText('50 05 4b 46 7f ff 0c 10 1c', true, 85000));
  await assert.rejects(driver.sample(), code('SENSOR_BAD_VALUE'));
  fs.writeFileSync(file, w1SlaveText('91 01 4b 46 7f ff 0f 10 25', true, 25062));
  assert.equal((await driver.sample())[0]?.v, 25.062);
  fs.rmSync(path.dirname(file), { recursive: true }); // sensor unplugged: the kernel removes the directory
  await assert.rejects(driver.sample(), code('SENSOR_NOT_FOUND'));
  await driver.close();
});

test('driver: without sensorId the only thermometer is used; none or several is an error', async (t) => {
  const root = w1Root(t);
  fs.mkdirSync(path.join(root, 'w1_bus_master1'));
  await assert.rejects(new W1Ds18b20Driver({}, root).open(recordingContext()), code('SENSOR_NOT_FOUND'));
  writeW1Slave(root, ID, w1SlaveText('72 01 4b 46 7f ff 0e 10 57', true, 23125));
  const only = new W1Ds18b20Driver({}, root);
  await only.open(recordingContext());
  assert.equal((await only.sample())[0]?.v, 23.125);
  writeW1Slave(root, '28-0316a2794dff', w1SlaveText('72 01 4b 46 7f ff 0e 10 57', true, 20000));
  await assert.rejects(
    new W1Ds18b20Driver({}, root).open(recordingContext()),
    (e: unknown) => code('DRIVER_BAD_PARAMS')(e) && (e as Error).message.includes('28-0316a2794dff'),
  );
  await assert.rejects(
    new W1Ds18b20Driver({}, path.join(root, 'nope')).open(recordingContext()),
    code('SENSOR_NOT_FOUND'),
  );
});

test('driver: a configured id that is absent fails open (retryable); a malformed id fails construction', async (t) => {
  const root = w1Root(t);
  await assert.rejects(
    new W1Ds18b20Driver({ sensorId: ID }, root).open(recordingContext()),
    (e: unknown) => code('SENSOR_NOT_FOUND')(e) && (e as AgentError).retryable,
  );
  assert.throws(() => new W1Ds18b20Driver({ sensorId: '28-xyz' }, root), code('DRIVER_BAD_PARAMS'));
});
