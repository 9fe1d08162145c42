import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeadbandFilter } from '../../src/drivers/deadband.js';
import { stampReading } from '../../src/drivers/reading.js';
import type { ReadingValue } from '../../src/drivers/reading.js';

const at = { timeMs: 0, monoMs: 0 };
const r = (n: string, v: ReadingValue) => stampReading(at, n, v);
const pass = (f: DeadbandFilter, n: string, v: ReadingValue) => f.filter([r(n, v)]).length === 1;

test('without a deadband everything passes', () => {
  const f = new DeadbandFilter();
  assert.ok(pass(f, 't', 1));
  assert.ok(pass(f, 't', 1));
});

test('numbers pass when they moved by more than the deadband from the last reported value', () => {
  const f = new DeadbandFilter(0.5);
  assert.ok(pass(f, 't', 20));
  assert.ok(!pass(f, 't', 20.3));
  assert.ok(!pass(f, 't', 20.5)); // exactly the deadband is not "more than"
  assert.ok(pass(f, 't', 20.6));
  assert.ok(!pass(f, 't', 20.2)); // compared with 20.6, the last reported one
  assert.ok(pass(f, 'h', 20.2)); // other names are independent
});

test('deadband 0 is report-on-change; booleans and strings pass when changed', () => {
  const f = new DeadbandFilter(0);
  assert.ok(pass(f, 'n', 1));
  assert.ok(!pass(f, 'n', 1));
  assert.ok(pass(f, 'n', 2));
  assert.ok(pass(f, 'door', true));
  assert.ok(!pass(f, 'door', true));
  assert.ok(pass(f, 'door', false));
  assert.ok(pass(f, 's', 'a'));
  assert.ok(!pass(f, 's', 'a'));
});

test('note() sets the reference value', () => {
  const f = new DeadbandFilter(0);
  f.note([r('state', true)]);
  assert.ok(!pass(f, 'state', true));
  assert.ok(pass(f, 'state', false));
});
