/** Addressing: parsing every `to` form and normalizing originators. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeOriginator, parseAddress } from '../../src/cse/address.js';
import { RequestRefusedError } from '../../src/cse/errors.js';

describe('parseAddress', () => {
  test('CSE-relative, SP-relative and absolute scopes', () => {
    assert.deepEqual(parseAddress('cse-in/ae/cnt'), {
      cseId: undefined,
      segments: ['cse-in', 'ae', 'cnt'],
      attribute: undefined,
    });
    assert.deepEqual(parseAddress('/id-in/cse-in/ae'), {
      cseId: '/id-in',
      segments: ['cse-in', 'ae'],
      attribute: undefined,
    });
    assert.deepEqual(parseAddress('//sp.example/id-in/cse-in/ae'), {
      cseId: '/id-in',
      segments: ['cse-in', 'ae'],
      attribute: undefined,
    });
    assert.deepEqual(parseAddress('/id-in'), { cseId: '/id-in', segments: [], attribute: undefined });
    assert.deepEqual(parseAddress('//example.net/mncse1234'), {
      cseId: '/mncse1234',
      segments: [],
      attribute: undefined,
    });
  });
  test('attribute after #, trailing slash tolerated', () => {
    assert.deepEqual(parseAddress('cse-in/ae#api'), {
      cseId: undefined,
      segments: ['cse-in', 'ae'],
      attribute: 'api',
    });
    assert.deepEqual(parseAddress('cse-in/ae/').segments, ['cse-in', 'ae']);
  });
  test('what is not an address is 4000', () => {
    for (const bad of ['', '/', '//sp.example', 'a//b', 'cse-in#']) {
      assert.throws(
        () => parseAddress(bad),
        (err: unknown) => err instanceof RequestRefusedError && err.rsc === 4000,
        bad,
      );
    }
  });
});

describe('normalizeOriginator', () => {
  test('AE-IDs in any scope become the stem; other CSE-IDs stay SP-relative', () => {
    assert.equal(normalizeOriginator('Cabc', '/id-in'), 'Cabc');
    assert.equal(normalizeOriginator('/id-in/Cabc', '/id-in'), 'Cabc');
    assert.equal(normalizeOriginator('//sp.example/id-in/Cabc', '/id-in'), 'Cabc');
    assert.equal(normalizeOriginator('/Sabc', '/id-in'), 'Sabc');
    assert.equal(normalizeOriginator('/id-asn', '/id-in'), '/id-asn');
    assert.equal(normalizeOriginator('//sp.example/id-asn', '/id-in'), '/id-asn');
    assert.equal(normalizeOriginator('/id-asn/Cdev', '/id-in'), '/id-asn/Cdev');
  });
});
