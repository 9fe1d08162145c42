import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildOffer, checkSelection, offerHeader } from '../../../src/binding/ws/subprotocol.js';
import { WsError } from '../../../src/binding/ws/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return err instanceof WsError ? err.code : 'not a WsError';
  }
  return undefined;
}

test('the offer keeps the preference order of the serializations', () => {
  assert.deepEqual(buildOffer(['cbor', 'json', 'xml']), ['oneM2M.cbor', 'oneM2M.json', 'oneM2M.xml']);
  assert.deepEqual(buildOffer(['xml', 'json']), ['oneM2M.xml', 'oneM2M.json']);
  assert.equal(offerHeader(buildOffer(['json', 'cbor'])), 'oneM2M.json,oneM2M.cbor');
});

test('exact names from opts.offer win over the serializations', () => {
  assert.deepEqual(buildOffer(['cbor'], ['oneM2M.R2.0.json', 'oneM2M.json']), [
    'oneM2M.R2.0.json',
    'oneM2M.json',
  ]);
});

test('an unusable offer is a WS_BAD_OPTIONS error', () => {
  assert.equal(
    codeOf(() => buildOffer([])),
    'WS_BAD_OPTIONS',
  );
  assert.equal(
    codeOf(() => buildOffer(['json'], ['oneM2M.yaml'])),
    'WS_BAD_OPTIONS',
  );
  assert.equal(
    codeOf(() => buildOffer(['json'], ['oneM2M.json', 'oneM2M.json'])),
    'WS_BAD_OPTIONS',
  );
  assert.equal(
    codeOf(() => buildOffer(['json'], ['oneM2M json'])),
    'WS_BAD_OPTIONS',
  );
});

test('checkSelection accepts only an offered name, exactly as offered', () => {
  const offered = ['oneM2M.cbor', 'oneM2M.json'];
  assert.equal(checkSelection(offered, 'oneM2M.json').serialization, 'json');
  assert.equal(checkSelection(offered, 'oneM2M.cbor').serialization, 'cbor');
  assert.equal(
    codeOf(() => checkSelection(offered, undefined)),
    'WS_NO_SUBPROTOCOL',
  );
  assert.equal(
    codeOf(() => checkSelection(offered, '')),
    'WS_NO_SUBPROTOCOL',
  );
  assert.equal(
    codeOf(() => checkSelection(offered, 'oneM2M.xml')),
    'WS_SUBPROTOCOL_REJECTED',
  );
  // Release-2 spelling means the same serialization, but it was not offered.
  assert.equal(
    codeOf(() => checkSelection(offered, 'oneM2M.R2.0.json')),
    'WS_SUBPROTOCOL_REJECTED',
  );
});

test('the rejection names what was offered and what came back', () => {
  try {
    checkSelection(['oneM2M.cbor', 'oneM2M.json'], 'oneM2M.xml');
    assert.fail('expected a throw');
  } catch (err) {
    assert.ok(err instanceof WsError);
    assert.match(err.message, /oneM2M\.xml/);
    assert.match(err.message, /oneM2M\.cbor, oneM2M\.json/);
  }
});
