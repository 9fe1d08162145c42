import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeGpio } from '../../../src/drivers/gpio/fake-gpio.js';
import type { GpioLevel } from '../../../src/drivers/gpio/gpio-pin.js';
import { ManualClock } from '../../../src/util/clock.js';
import { gpioPinContract } from './gpio-pin-contract.js';

gpioPinContract('FakeGpio', () => {
  const bank = new FakeGpio();
  return Promise.resolve({
    opener: bank.opener,
    inputLine: 529,
    outputLine: 530,
    drive: (level) => {
      bank.drive(529, level);
    },
    observe: () => bank.level(530),
  });
});

test('FakeGpio: activeLow inverts reads, edges and writes', async () => {
  const bank = new FakeGpio();
  bank.drive(5, 1);
  const pin = await bank.opener(5, { direction: 'in', activeLow: true });
  const seen: GpioLevel[] = [];
  pin.watch('rising', (v) => seen.push(v));
  assert.equal(await pin.read(), 0);
  bank.drive(5, 0); // electrically low = logically high: a rising edge
  assert.deepEqual(seen, [1]);
  const out = await bank.opener(6, { direction: 'out', activeLow: true, initial: 1 });
  assert.equal(bank.level(6), 0);
  await out.write(0);
  assert.equal(bank.level(6), 1);
});

test('FakeGpio: debounce on a manual clock fires only after the line was quiet', async () => {
  const clock = new ManualClock();
  const bank = new FakeGpio(clock);
  const pin = await bank.opener(7, { direction: 'in', debounceMs: 50 });
  const seen: GpioLevel[] = [];
  pin.watch('both', (v) => seen.push(v));
  bank.drive(7, 1);
  clock.advance(30);
  bank.drive(7, 0);
  clock.advance(30);
  bank.drive(7, 1);
  clock.advance(49);
  assert.deepEqual(seen, []);
  clock.advance(1);
  assert.deepEqual(seen, [1]);
});

test('FakeGpio: a busy line is refused, a closed one reports nothing and can be reopened', async () => {
  const bank = new FakeGpio();
  const pin = await bank.opener(8, { direction: 'in' });
  await assert.rejects(bank.opener(8, { direction: 'in' }), /EBUSY/);
  const seen: GpioLevel[] = [];
  pin.watch('both', (v) => seen.push(v));
  await pin.close();
  bank.drive(8, 1);
  assert.deepEqual(seen, []);
  await assert.rejects(pin.read(), /closed/);
  const again = await bank.opener(8, { direction: 'in' });
  assert.equal(await again.read(), 1);
  await assert.rejects(again.write(0), /input/);
});
