import { test } from 'node:test';
import assert from 'node:assert/strict';
import { editDistance, suggest } from '../../src/config/suggest.js';

test('edit distance counts a swap of neighbours as one edit and ignores case', () => {
  assert.equal(editDistance('name', 'name'), 0);
  assert.equal(editDistance('nmae', 'name'), 1);
  assert.equal(editDistance('maxByte', 'maxBytes'), 1);
  assert.equal(editDistance('MaxBytes', 'maxbytes'), 0);
  assert.equal(editDistance('kitten', 'sitting'), 3);
  assert.equal(editDistance('', 'abc'), 3);
});

test('suggestions are offered for near misses and prefixes only', () => {
  const keys = ['maxBytes', 'maxAgeSeconds', 'fsyncIntervalMs', 'idempotentNames'];
  assert.equal(suggest('maxByte', keys), 'maxBytes');
  assert.equal(suggest('maxage', keys), 'maxAgeSeconds');
  assert.equal(suggest('fsyncIntervallMs', keys), 'fsyncIntervalMs');
  assert.equal(suggest('colour', keys), undefined);
  assert.equal(suggest('ds18b2', ['ds18b20', 'sim', 'relay']), 'ds18b20');
  assert.equal(suggest('baud', ['path', 'baudRate']), 'baudRate');
  assert.equal(suggest('x', ['y', 'z']), undefined);
  assert.equal(suggest('mnl', ['mni', 'mbs']), 'mni');
  assert.equal(suggest('ab', ['abcdef']), undefined);
  assert.equal(suggest('anything', []), undefined);
});
