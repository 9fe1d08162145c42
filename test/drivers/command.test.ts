import { test } from 'node:test';
import assert from 'node:assert/strict';
import { commandLevel, parseCommand } from '../../src/drivers/command.js';

test('plain forms: numbers, digit strings, words, booleans', () => {
  assert.equal(parseCommand(1), 1);
  assert.equal(parseCommand(0), 0);
  assert.equal(parseCommand('1'), 1);
  assert.equal(parseCommand('0'), 0);
  assert.equal(parseCommand('on'), true);
  assert.equal(parseCommand(' OFF '), false);
  assert.equal(parseCommand(true), true);
  assert.equal(parseCommand(false), false);
  assert.equal(parseCommand('true'), true);
  assert.equal(parseCommand('0.5'), 0.5);
});

test('SenML records with v or vb, as array, object or JSON text', () => {
  assert.equal(parseCommand([{ n: 'fan', v: 1 }]), 1);
  assert.equal(parseCommand([{ bn: 'urn:dev:fan:' }, { n: 'state', vb: false }]), false);
  assert.equal(parseCommand({ vb: true }), true);
  assert.equal(parseCommand({ v: 0 }), 0);
  assert.equal(parseCommand('[{"n":"","v":1}]'), 1);
  assert.equal(parseCommand('{"vb":false}'), false);
});

test('anything else is not a command', () => {
  for (const bad of [
    '',
    'maybe',
    'onn',
    '[{"n":"x","vs":"on"}]',
    '{broken',
    null,
    undefined,
    {},
    [],
    NaN,
    Infinity,
    { v: 'on' },
    '"\\"1\\""',
  ]) {
    assert.equal(parseCommand(bad), undefined, JSON.stringify(bad));
  }
});

test('commandLevel maps to 0/1', () => {
  assert.equal(commandLevel(true), 1);
  assert.equal(commandLevel(false), 0);
  assert.equal(commandLevel(0), 0);
  assert.equal(commandLevel(1), 1);
  assert.equal(commandLevel(0.3), 1);
});
