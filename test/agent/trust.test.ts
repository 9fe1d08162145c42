import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalOriginator, TrustPolicy } from '../../src/agent/trust.js';

test('originators compare in SP-relative form: CSE-IDs get their slash, C-stems their registrar', () => {
  assert.equal(canonicalOriginator('/id-in', '/id-in'), '/id-in');
  assert.equal(canonicalOriginator('id-in', '/id-in'), '/id-in');
  assert.equal(canonicalOriginator('Cadmin', '/id-in'), '/id-in/Cadmin');
  assert.equal(canonicalOriginator('/id-in/Cadmin', '/id-in'), '/id-in/Cadmin');
  assert.equal(canonicalOriginator('//sp.example/id-in', '/id-in'), '/id-in');
});

test('the registrar CSE-ID is trusted in either form; configured originators too', () => {
  const t = new TrustPolicy('/id-in', ['Cadmin', '/id-mn']);
  for (const fr of ['/id-in', 'id-in', 'Cadmin', '/id-in/Cadmin', 'id-mn', '/id-mn'])
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
    '/id-mn/Cadmin',
    'cadmin',
    'Cadmin ',
  ]) {
    assert.equal(t.isTrusted(fr), false, String(fr));
  }
});
