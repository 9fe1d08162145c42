import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GpioOutputDriver } from '../../../src/drivers/gpio/gpio-output.js';
import { FakeGpio } from '../../../src/drivers/gpio/fake-gpio.js';
import { PI4_CHIPS, makeGpioTree } from '../../helpers/fake-sysfs.js';
import { recordingContext } from '../context.js';

function dirs(t: { after(fn: () => void): void }): { root: string; stateDir: string } {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  t.after(() => {
    fs.rmSync(root, { recursive: true, force: true });
  });
  makeGpioTree(path.join(root, 'sys', 'class'), PI4_CHIPS);
  return { root: path.join(root, 'sys'), stateDir: path.join(root, 'state') };
}

test('relay: initial level from params, commands switch it and report the new state', async (t) => {
  const { root, stateDir } = dirs(t);
  const bank = new FakeGpio();
  const driver = new GpioOutputDriver(
    { gpio: 27, initial: 0 },
    { opener: bank.opener, sysfsRoot: root, stateDir, stateKey: 'fan', readingName: 'on' },
  );
  const ctx = recordingContext();
  await driver.open(ctx);
  assert.equal(bank.level(539), 0);
  assert.equal(ctx.emitted[0]?.[0]?.vb, false);
  const r = await driver.actuate(true);
  assert.equal(bank.level(539), 1);
  assert.equal(r[0]?.n, 'on');
  assert.equal(r[0]?.vb, true);
  assert.equal((await driver.sample())[0]?.vb, true);
  await driver.actuate(0);
  assert.equal(bank.level(539), 0);
  await driver.close();
});

test('the last commanded level survives a restart (params.initial only counts the first time)', async (t) => {
  const { root, stateDir } = dirs(t);
  const make = (bank: FakeGpio) =>
    new GpioOutputDriver(
      { gpio: 27, initial: 0 },
      { opener: bank.opener, sysfsRoot: root, stateDir, stateKey: 'fan' },
    );
  const first = make(new FakeGpio());
  await first.open(recordingContext());
  await first.actuate(1);
  await first.close();
  const bank = new FakeGpio(); // a fresh process: every line starts low
  const second = make(bank);
  const ctx = recordingContext();
  await second.open(ctx);
  assert.equal(bank.level(539), 1);
  assert.equal(ctx.emitted[0]?.[0]?.vb, true);
  assert.deepEqual(fs.readdirSync(path.join(stateDir, 'drivers')), ['gpio-fan.json']);
  await second.close();
});

test('activeLow relay board: logical on is electrically low', async (t) => {
  const { root } = dirs(t);
  const bank = new FakeGpio();
  const driver = new GpioOutputDriver(
    { gpio: 5, activeLow: true, initial: false },
    { opener: bank.opener, sysfsRoot: root },
  );
  await driver.open(recordingContext());
  assert.equal(bank.level(517), 1);
  await driver.actuate(true);
  assert.equal(bank.level(517), 0);
  await driver.close();
});

test('an unwritable state dir is a counted fault, the command still works', async (t) => {
  const { root, stateDir } = dirs(t);
  fs.writeFileSync(stateDir, 'not a directory');
  const bank = new FakeGpio();
  const driver = new GpioOutputDriver({ gpio: 6 }, { opener: bank.opener, sysfsRoot: root, stateDir });
  const ctx = recordingContext();
  await driver.open(ctx);
  const r = await driver.actuate(1);
  assert.equal(r[0]?.vb, true);
  assert.equal(bank.level(518), 1);
  assert.equal(ctx.faults.length, 1);
  await driver.close();
});
