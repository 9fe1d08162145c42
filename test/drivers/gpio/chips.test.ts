import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readGpioChips } from '../../../src/drivers/gpio/chips.js';
import { AgentError } from '../../../src/util/errors.js';
import { memoryLogger } from '../../../src/util/log.js';
import { PI5_CHIPS, makeGpioTree } from '../../helpers/fake-sysfs.js';

function tempRoot(t: { after(fn: () => void): void }): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

test('reads every gpiochip of the tree', async (t) => {
  const root = tempRoot(t);
  makeGpioTree(path.join(root, 'class'), PI5_CHIPS, [588]);
  const chips = await readGpioChips(root);
  assert.equal(chips.length, PI5_CHIPS.length);
  assert.deepEqual(
    chips.find((c) => c.label === 'pinctrl-rp1'),
    { name: 'gpiochip571', base: 571, label: 'pinctrl-rp1', ngpio: 54 },
  );
});

test('no class/gpio at all: GPIO_SYSFS_MISSING naming the directory', async (t) => {
  const root = tempRoot(t);
  fs.mkdirSync(path.join(root, 'class'));
  await assert.rejects(
    readGpioChips(root),
    (e: unknown) =>
      e instanceof AgentError &&
      e.code === 'GPIO_SYSFS_MISSING' &&
      e.message.includes(path.join(root, 'class', 'gpio')) &&
      e.hint !== undefined,
  );
});

test('a broken chip directory is logged and skipped', async (t) => {
  const root = tempRoot(t);
  makeGpioTree(path.join(root, 'class'), [{ base: 512, label: 'pinctrl-bcm2711', ngpio: 58 }]);
  fs.mkdirSync(path.join(root, 'class', 'gpio', 'gpiochip9'));
  fs.writeFileSync(path.join(root, 'class', 'gpio', 'gpiochip9', 'base'), 'x');
  const log = memoryLogger();
  const chips = await readGpioChips(root, log);
  assert.deepEqual(
    chips.map((c) => c.name),
    ['gpiochip512'],
  );
  assert.ok(log.lines.some((l) => l.level === 'warn' && l.fields['chip'] === 'gpiochip9'));
});
