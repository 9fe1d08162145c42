/**
 * CBOR codec (TS-0004 8.4): byte-exact output against bytes worked out by hand, decoding of
 * hand-written bytes, plain RFC 8949 only (no tags), malformed input.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cborCodec } from '../../src/codec/cbor.js';
import type { Primitive } from '../../src/protocol/primitive.js';

function fixtures(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, 'test', 'fixtures'))) return join(dir, 'test', 'fixtures');
  throw new Error('test/fixtures not found');
}
const FIX = fixtures();

/** A `.hex` fixture: hex digits, with whitespace and `#` comments ignored. */
function hexFixture(name: string): Uint8Array {
  const hex = readFileSync(join(FIX, 'cbor', name), 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, ''))
    .join('')
    .replace(/\s+/g, '');
  assert.match(hex, /^(?:[0-9a-f]{2})+$/);
  return Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));
}
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const annexA = JSON.parse(readFileSync(join(FIX, 'vectors/annex-a.json'), 'utf8')) as {
  steps: { request: Primitive; response: Primitive }[];
};

/**
 * An independent walk over CBOR data items (RFC 8949 3): returns the initial byte of every item,
 * and fails on indefinite lengths or trailing bytes. Only what the tests need; not a decoder.
 */
function heads(bytes: Uint8Array): number[] {
  const seen: number[] = [];
  let i = 0;
  const byte = (): number => {
    const b = bytes[i++];
    if (b === undefined) throw new Error('truncated');
    return b;
  };
  const arg = (info: number): number => {
    if (info < 24) return info;
    const n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : -1;
    if (n < 0) throw new Error(`additional info ${info} (indefinite or reserved) at byte ${i - 1}`);
    let v = 0;
    for (let k = 0; k < n; k++) v = v * 256 + byte();
    return v;
  };
  const item = (): void => {
    const head = byte();
    const major = head >> 5;
    seen.push(head);
    const v = arg(head & 0x1f);
    if (major === 2 || major === 3) i += v;
    else if (major === 4) for (let k = 0; k < v; k++) item();
    else if (major === 5) for (let k = 0; k < 2 * v; k++) item();
    else if (major === 6) item();
  };
  item();
  assert.equal(i, bytes.length, 'one data item, no trailing bytes');
  return seen;
}

function throwsCode(fn: () => unknown, code: string, rqi?: string): void {
  assert.throws(fn, (err: { code?: string; rqi?: string }) => {
    assert.equal(err.code, code);
    assert.equal(err.rqi, rqi);
    return true;
  });
}

test('encodes the Annex A registration request to the bytes worked out by hand', () => {
  const expected = hexFixture('annex-a-registration-request.hex');
  assert.equal(toHex(cborCodec.encode(annexA.steps[0]!.request) as Uint8Array), toHex(expected));
  assert.deepEqual(cborCodec.decode(expected), annexA.steps[0]!.request);
});

test('decodes hand-written bytes with float32, float64, negative integers, nested maps and arrays', () => {
  assert.deepEqual(cborCodec.decode(hexFixture('response-float-negative-nested.hex')), {
    rsc: 2000,
    rqi: 'r1',
    rvi: '3',
    pc: { 'm2m:cin': { con: { t: 21.5, h: 0.1, d: -3, o: -500 }, lbl: ['a', 'b'], cs: 4 } },
  });
});

test('encoded output uses no tags, no indefinite lengths and no undefined', () => {
  const samples: unknown[] = [
    ...annexA.steps.flatMap((s) => [s.request, s.response]),
    {
      rsc: 2000,
      rqi: 'x',
      pc: { 'm2m:cin': { con: { v: [1.5, -2, 1e300, -1e-300, 2 ** 40, -(2 ** 40)], s: 'é' }, lbl: [] } },
    },
    { op: 5, to: 'a', rqi: 'b', fr: undefined, pc: { 'm2m:sgn': { vrq: true, sud: false, cr: null } } },
  ];
  for (const p of samples) {
    const bytes = cborCodec.encode(p as Primitive) as Uint8Array;
    const items = heads(bytes);
    assert.ok(!items.some((h) => h >> 5 === 6), `tag found in ${toHex(bytes)}`);
    assert.ok(!items.includes(0xf7), `undefined (0xf7) found in ${toHex(bytes)}`);
    assert.deepEqual(cborCodec.decode(bytes), JSON.parse(JSON.stringify(p)));
  }
  // The walk does see simple values: true, false, null and a double in the samples above.
  const last = heads(cborCodec.encode(samples[5] as Primitive) as Uint8Array);
  assert.ok([0xf5, 0xf4, 0xf6].every((h) => last.includes(h)));
  assert.ok(heads(cborCodec.encode(samples[4] as Primitive) as Uint8Array).includes(0xfb));
});

test('an undefined member is left out, not written as CBOR undefined', () => {
  const bytes = cborCodec.encode({ rsc: 2000, rqi: 'r', pc: undefined }) as Uint8Array;
  // map(2) "rsc" 2000 "rqi" "r"
  assert.equal(toHex(bytes), 'a2' + '63727363' + '1907d0' + '63727169' + '6172');
});

test('codec metadata: binary frames, application/cbor', () => {
  assert.equal(cborCodec.frame, 'binary');
  assert.equal(cborCodec.mediaType, 'application/cbor');
  assert.equal(cborCodec.serialization, 'cbor');
});

test('malformed CBOR gives CODEC_MALFORMED, a non-primitive PRIMITIVE_INVALID', () => {
  const good = hexFixture('annex-a-registration-request.hex');
  throwsCode(() => cborCodec.decode(good.subarray(0, good.length - 5)), 'CODEC_MALFORMED');
  throwsCode(() => cborCodec.decode(new Uint8Array()), 'CODEC_MALFORMED');
  throwsCode(() => cborCodec.decode('{"op":1}'), 'CODEC_MALFORMED');
  throwsCode(() => cborCodec.decode(new Uint8Array([0x62, 0x68, 0x69])), 'PRIMITIVE_INVALID'); // text "hi"
  throwsCode(() => cborCodec.decode(new Uint8Array([0x82, 0x01, 0x02])), 'PRIMITIVE_INVALID'); // [1, 2]
  // {"op":9,"to":"a","rqi":"q"}
  const op9 = Uint8Array.from(
    Buffer.from('a3' + '626f70' + '09' + '62746f' + '6161' + '63727169' + '6171', 'hex'),
  );
  throwsCode(() => cborCodec.decode(op9), 'PRIMITIVE_INVALID', 'q');
  // {"rsc":2000,"rqi":"q","rvi":4}: rvi must be a string
  const rviNumber = Uint8Array.from(
    Buffer.from('a3' + '63727363' + '1907d0' + '63727169' + '6171' + '63727669' + '04', 'hex'),
  );
  throwsCode(() => cborCodec.decode(rviNumber), 'PRIMITIVE_INVALID', 'q');
});
