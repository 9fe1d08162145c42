import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadDeviceModels } from '../../src/config/models.js';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'config', 'devices');

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = fs.mkdtempSync(os.tmpdir() + '/m2m-');
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const sim = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  model: 'sim',
  driver: 'sim',
  kind: 'sensor',
  readings: [{ name: 'value' }],
  ...extra,
});

test('the fixture models load with their defaults filled in', () => {
  const { models, issues } = loadDeviceModels([FIXTURES]);
  assert.deepEqual(issues, []);
  assert.deepEqual([...models.keys()].sort(), ['ds18b20', 'pms5003', 'reed-switch', 'relay', 'sim']);
  const pms = models.get('pms5003');
  assert.equal(pms?.eventCategory, 'bestEffort');
  assert.deepEqual(pms?.container, {});
  assert.deepEqual(pms?.params, { path: '/dev/serial0', baudRate: 9600 });
  assert.equal(models.get('relay')?.kind, 'actuator');
  assert.deepEqual(models.get('ds18b20')?.readings, [{ name: 'temperature', unit: 'Cel' }]);
});

test('a later directory overrides a same-named model; missing directories are skipped', (t) => {
  const bundled = tempDir(t);
  const user = tempDir(t);
  fs.writeFileSync(join(bundled, 'sim.json'), JSON.stringify(sim({ description: 'bundled' })));
  fs.writeFileSync(join(bundled, 'other.json'), JSON.stringify(sim({ model: 'other' })));
  fs.writeFileSync(join(user, 'sim.json'), JSON.stringify(sim({ description: 'mine' })));
  fs.writeFileSync(join(user, 'notes.txt'), 'not a model');
  const { models, issues } = loadDeviceModels([bundled, join(user, 'absent'), user]);
  assert.deepEqual(issues, []);
  assert.equal(models.get('sim')?.description, 'mine');
  assert.equal(models.get('sim')?.source, join(user, 'sim.json'));
  assert.equal(models.get('other')?.description, undefined);
  assert.equal(models.size, 2);
});

test('every problem of a model file is reported with the file and key path', (t) => {
  const dir = tempDir(t);
  const file = (name: string): string => join(dir, name);
  fs.writeFileSync(
    file('bad.json'),
    JSON.stringify({
      model: 'bad',
      driver: '',
      kind: 'sensr',
      readings: [
        { name: 'temperature', unit: 'deg C' },
        { name: 'x', units: 'Cel' },
      ],
      colour: 'red',
    }),
  );
  fs.writeFileSync(
    file('mismatch.json'),
    JSON.stringify(
      sim({
        model: 'sim2',
        params: { waveform: 'square' },
        paramsSchema: {
          type: 'object',
          properties: {
            waveform: { type: 'string', enum: ['sine'] },
            gpio: { type: 'integer', format: 'int32' },
          },
        },
        sample: '*/0 * * * * *',
        readings: [{ name: 'v' }, { name: 'v' }],
      }),
    ),
  );
  fs.writeFileSync(file('broken.json'), '{ "model": ');
  const { models, issues } = loadDeviceModels([dir]);
  const paths = issues.map((i) => i.path).sort();
  assert.deepEqual(paths, [
    `${file('bad.json')}: colour`,
    `${file('bad.json')}: driver`,
    `${file('bad.json')}: kind`,
    `${file('bad.json')}: readings[0].unit`,
    `${file('bad.json')}: readings[1].units`,
    file('broken.json'),
    `${file('mismatch.json')}: model`,
    `${file('mismatch.json')}: paramsSchema.properties.gpio.format`,
    `${file('mismatch.json')}: readings[1].name`,
    `${file('mismatch.json')}: sample`,
  ]);
  const by = (p: string) => issues.find((i) => i.path === p);
  assert.equal(by(`${file('bad.json')}: kind`)?.hint, 'did you mean "sensor"?');
  assert.equal(by(`${file('bad.json')}: readings[1].units`)?.hint, 'did you mean "unit"?');
  assert.match(
    by(`${file('mismatch.json')}: model`)?.message ?? '',
    /"sim2" differs from the file name "mismatch.json"/,
  );
  // Neither is usable: bad.json has the wrong shape, mismatch.json a paramsSchema we cannot enforce.
  assert.deepEqual([...models.keys()], []);
});

test('default params that do not fit the paramsSchema are reported', (t) => {
  const dir = tempDir(t);
  fs.writeFileSync(
    join(dir, 'sim.json'),
    JSON.stringify(
      sim({
        params: { waveform: 'square', extra: 1 },
        paramsSchema: {
          type: 'object',
          additionalProperties: false,
          required: ['gpio'],
          properties: { waveform: { type: 'string', enum: ['sine'] }, gpio: { type: 'integer' } },
        },
      }),
    ),
  );
  const { issues, models } = loadDeviceModels([dir]);
  // The shape is sound, so the model stays usable (devices using it are still checked).
  assert.ok(models.has('sim'));
  // `gpio` is required of the device, not of the model's defaults.
  assert.deepEqual(issues.map((i) => i.path).sort(), [
    `${join(dir, 'sim.json')}: params.extra`,
    `${join(dir, 'sim.json')}: params.waveform`,
  ]);
});
