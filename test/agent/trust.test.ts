import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normalizeOriginator, TrustPolicy } from '../../src/agent/trust.js';

test('one leading slash is dropped; two (an absolute id) are kept', () => {
  assert.equal(normalizeOriginator('/id-in'), 'id-in');
  assert.equal(normalizeOriginator('id-in'), 'id-in');
  assert.equal(normalizeOriginator('/Cadmin'), 'Cadmin');
  assert.equal(normalizeOriginator('//sp.example/id-in'), '//sp.example/id-in');
});

test('the registrar CSE-ID is trusted in either form; configured originators too', () => {
  const t = new TrustPolicy('/id-in', ['Cadmin', '/id-mn']);
  for (const fr of ['/id-in', 'id-in', 'Cadmin', '/Cadmin', 'id-mn', '/id-mn'])
    assert.equal(t.isTrusted(fr), true, fr);
});

test('anyone else, an absent or empty fr, or a lookalike is not trusted', () => {
  const t = new TrustPolicy('/id-in', ['Cadmin']);
  for (const fr of [
    undefined,
    '',
    '/',
    'Cmallory',
    'id-in2',
    '/id-in/cse-in',
    '//id-in',
    'cadmin',
    'Cadmin ',
  ]) {
    assert.equal(t.isTrusted(fr), false, String(fr));
  }
});
