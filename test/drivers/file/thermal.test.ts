import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ThermalDriver, parseThermalTemp } from '../../../src/drivers/file/thermal.js';
import { AgentError } from '../../../src/util/errors.js';
import { writeThermalZone } from '../../helpers/fake-sysfs.js';
import { recordingContext } from '../context.js';

const code = (c: string) => (e: unknown) => e instanceof AgentError && e.code === c;

test('parseThermalTemp reads milli-degrees', () => {
  assert.equal(parseThermalTemp('47236\n'), 47.236);
  assert.equal(parseThermalTemp('-5000'), -5);
  assert.throws(() => parseThermalTemp('hot'), code('SENSOR_BAD_VALUE'));
  assert.throws(() => parseThermalTemp(''), code('SENSOR_BAD_VALUE'));
});

test('driver: thermal_zone0 by default, another zone by params, missing zone fails open', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  const file = writeThermalZone(root, 'thermal_zone0', '51540\n');
  writeThermalZone(root, 'thermal_zone1', '38000\n');
  const cpu = new ThermalDriver({}, root);
  await cpu.open(recordingContext());
  const [r] = await cpu.sample();
  assert.equal(r?.n, 'temperature');
  assert.equal(r?.v, 51.54);
  assert.equal(r?.u, 'Cel');
  fs.writeFileSync(file, 'garbage');
  await assert.rejects(cpu.sample(), code('SENSOR_BAD_VALUE'));
  await cpu.close();
  const other = new ThermalDriver({ zone: 'thermal_zone1' }, root);
  await other.open(recordingContext());
  assert.equal((await other.sample())[0]?.v, 38);
  await assert.rejects(
    new ThermalDriver({ zone: 'thermal_zone7' }, root).open(recordingContext()),
    code('SENSOR_NOT_FOUND'),
  );
  assert.throws(() => new ThermalDriver({ zone: '../../etc' }, root), code('DRIVER_BAD_PARAMS'));
});
