/** Subprotocol names (TS-0020 clause 6) and codec lookup, against test/fixtures/vectors/subprotocols.json. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  codecFor,
  codecForSubprotocol,
  frameTypeOf,
  isSerialization,
  legacySubprotocolName,
  mediaTypeOf,
  serializationOf,
  SERIALIZATIONS,
  subprotocolName,
} from '../../src/codec/index.js';

function fixtures(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, 'test', 'fixtures'))) return join(dir, 'test', 'fixtures');
  throw new Error('test/fixtures not found');
}

interface Row {
  name: string;
  serialization: string;
  opcode: number;
  frame: 'text' | 'binary';
}
const rows = JSON.parse(readFileSync(join(fixtures(), 'vectors', 'subprotocols.json'), 'utf8')) as Row[];

test('the fixture lists the three registered names', () => {
  assert.deepEqual(rows.map((r) => r.name).sort(), ['oneM2M.cbor', 'oneM2M.json', 'oneM2M.xml']);
});

for (const row of rows) {
  test(`${row.name}: ${row.serialization} in ${row.frame} frames (opcode ${row.opcode})`, () => {
    assert.ok(isSerialization(row.serialization));
    const s = row.serialization;
    assert.equal(subprotocolName(s), row.name);
    assert.equal(serializationOf(row.name), s);
    assert.equal(frameTypeOf(s), row.frame);
    // RFC 6455 5.2: opcode 1 is a text frame, 2 a binary frame.
    assert.equal(row.opcode, row.frame === 'text' ? 1 : 2);
    const codec = codecForSubprotocol(row.name);
    assert.equal(codec, codecFor(s));
    assert.equal(codec.serialization, s);
    assert.equal(codec.frame, row.frame);
    assert.equal(codec.mediaType, mediaTypeOf(s));
    // The Release-2 name means the same serialization.
    assert.equal(legacySubprotocolName(s), `oneM2M.R2.0.${s}`);
    assert.equal(codecForSubprotocol(legacySubprotocolName(s)), codec);
  });
}

test('legacy and lower-case spellings are recognised (Mobius offers onem2m.r2.0.json)', () => {
  assert.equal(serializationOf('oneM2M.R2.0.json'), 'json');
  assert.equal(serializationOf('onem2m.r2.0.json'), 'json');
  assert.equal(serializationOf('ONEM2M.CBOR'), 'cbor');
  assert.equal(serializationOf(' oneM2M.xml '), 'xml');
  assert.equal(codecForSubprotocol('onem2m.r2.0.json').serialization, 'json');
  assert.equal(codecForSubprotocol('oneM2M.R2.0.cbor').frame, 'binary');
});

test('unknown names give CODEC_UNKNOWN_SUBPROTOCOL', () => {
  for (const name of ['oneM2M.yaml', 'oneM2M.R3.0.json', 'json', 'oneM2M.', '', 'oneM2M.json.x']) {
    assert.equal(serializationOf(name), undefined, name);
    assert.throws(
      () => codecForSubprotocol(name),
      (err: { code?: string }) => err.code === 'CODEC_UNKNOWN_SUBPROTOCOL',
    );
  }
});

test('every serialization has a codec whose metadata matches the lookup helpers', () => {
  assert.deepEqual([...SERIALIZATIONS].sort(), ['cbor', 'json', 'xml']);
  for (const s of SERIALIZATIONS) {
    assert.equal(codecFor(s).serialization, s);
    assert.equal(codecFor(s).frame, frameTypeOf(s));
    assert.equal(codecFor(s).mediaType, mediaTypeOf(s));
  }
  assert.equal(isSerialization('yaml'), false);
});
