/**
 * Every primitive in the specification vectors (test/fixtures/vectors/) decodes and re-encodes
 * through all three codecs to the same data model (style.md: vectors round-trip across formats).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cborCodec, jsonCodec, xmlCodec, type Codec } from '../../src/codec/index.js';
import { isPlainObject } from '../../src/protocol/validate.js';

/** test/fixtures, found from this file whether it runs from test/ (tsx) or dist/test/. */
function fixtures(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, 'test', 'fixtures'))) return join(dir, 'test', 'fixtures');
  throw new Error('test/fixtures not found');
}

const VECTORS = join(fixtures(), 'vectors');

/** Every object under a `request` or `response` key that is a primitive (has `op` or `rsc`). */
function primitivesIn(v: unknown, path: string, out: { where: string; p: Record<string, unknown> }[]): void {
  if (Array.isArray(v)) {
    v.forEach((x, i) => {
      primitivesIn(x, `${path}[${i}]`, out);
    });
  }
  if (!isPlainObject(v)) return;
  for (const [k, x] of Object.entries(v)) {
    const where = `${path}.${k}`;
    if ((k === 'request' || k === 'response') && isPlainObject(x) && ('op' in x || 'rsc' in x))
      out.push({ where, p: x });
    else primitivesIn(x, where, out);
  }
}

const vectors: { where: string; p: Record<string, unknown> }[] = [];
const files = readdirSync(VECTORS).filter((f) => f.endsWith('.json'));
for (const f of files)
  primitivesIn(JSON.parse(readFileSync(join(VECTORS, f), 'utf8')) as unknown, f, vectors);

test('the vector files hold the primitives of Annex A and the registration overview', () => {
  assert.ok(files.includes('annex-a.json') && files.includes('registration-overview.json'));
  // annex-a: 2 steps x (request + response); registration-overview: 1 request.
  assert.equal(vectors.filter((v) => v.where.startsWith('annex-a.json')).length, 4);
  assert.equal(vectors.filter((v) => v.where.startsWith('registration-overview.json')).length, 1);
});

const codecs: Codec[] = [jsonCodec, cborCodec, xmlCodec];

for (const { where, p } of vectors) {
  // The vectors use no member XML cannot carry exactly (no object `con`, no numeric absRel
  // timestamps, no empty strings), so XML, too, must give back exactly the same data model.
  for (const codec of codecs) {
    test(`${where} round-trips through ${codec.serialization}`, () => {
      const wire = codec.encode(p as never);
      assert.equal(typeof wire === 'string' ? 'text' : 'binary', codec.frame);
      assert.deepEqual(codec.decode(wire), p);
    });
  }

  test(`${where} decodes from its JSON text in the vector file`, () => {
    assert.deepEqual(jsonCodec.decode(JSON.stringify(p)), p);
    assert.deepEqual(jsonCodec.decode(new TextEncoder().encode(JSON.stringify(p))), p);
  });

  test(`${where} survives json -> xml -> cbor -> json`, () => {
    let model: unknown = jsonCodec.decode(JSON.stringify(p));
    for (const codec of [xmlCodec, cborCodec, jsonCodec]) model = codec.decode(codec.encode(model as never));
    assert.deepEqual(model, p);
  });
}
