import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readStateFile, stateFilePath, writeStateFile } from '../../src/drivers/state-file.js';

test('write then read back; missing file reads as undefined; no temp files left', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = stateFilePath(dir, 'sim-my device/1');
  assert.equal(path.dirname(file), path.join(dir, 'drivers'));
  assert.equal(path.basename(file), 'sim-my_device_1.json');
  assert.equal(await readStateFile(file), undefined);
  await writeStateFile(file, { last: 1 });
  await writeStateFile(file, { last: 2 });
  assert.deepEqual(await readStateFile(file), { last: 2 });
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['sim-my_device_1.json']);
});

test('a corrupt file is an error, not silently a value', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = path.join(dir, 'x.json');
  fs.writeFileSync(file, '{"last": 4');
  await assert.rejects(readStateFile(file), SyntaxError);
});

test('a write that fails after the temporary file was created leaves no temporary file behind', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const file = stateFilePath(dir, 'sim-a');
  await writeStateFile(file, { last: 1 });
  // Fails while writing (as ENOSPC does on a full disk): a BigInt cannot be serialised.
  for (let i = 0; i < 3; i++) await assert.rejects(writeStateFile(file, { last: 2n }));
  assert.deepEqual(fs.readdirSync(path.dirname(file)), ['sim-a.json']);
  assert.deepEqual(await readStateFile(file), { last: 1 }, 'the old value is intact');
});
