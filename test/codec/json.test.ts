/** JSON codec (TS-0004 8.3): one object with short names, no wrapper; malformed input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonCodec, recoverRqi } from '../../src/codec/json.js';
import type { Primitive } from '../../src/protocol/primitive.js';

function throwsCode(fn: () => unknown, code: string, rqi?: string): void {
  assert.throws(fn, (err: { code?: string; rqi?: string }) => {
    assert.equal(err.code, code);
    assert.equal(err.rqi, rqi);
    return true;
  });
}

test('encodes one unwrapped object with short names, in the order given', () => {
  const p: Primitive = {
    op: 1,
    to: '//example.net/mncse1234',
    rqi: 'A1234',
    pc: { 'm2m:ae': { api: 'a56', apn: 'app1234' } },
    ty: 2,
  };
  assert.equal(
    jsonCodec.encode(p),
    '{"op":1,"to":"//example.net/mncse1234","rqi":"A1234","pc":{"m2m:ae":{"api":"a56","apn":"app1234"}},"ty":2}',
  );
  assert.equal(jsonCodec.frame, 'text');
  assert.equal(jsonCodec.mediaType, 'application/json');
});

test('decodes text and UTF-8 bytes alike, keeping unknown members and NULL', () => {
  const text = '{"rsc":2000,"rqi":"0001","rvi":"4","pc":{"m2m:cin":{"con":"é","cr":null}},"xyz":1}';
  const expected = { rsc: 2000, rqi: '0001', rvi: '4', pc: { 'm2m:cin': { con: 'é', cr: null } }, xyz: 1 };
  assert.deepEqual(jsonCodec.decode(text), expected);
  assert.deepEqual(jsonCodec.decode(new TextEncoder().encode(text)), expected);
});

test('malformed JSON gives CODEC_MALFORMED, with the rqi when it can be found', () => {
  throwsCode(() => jsonCodec.decode(new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])), 'CODEC_MALFORMED');
  throwsCode(() => jsonCodec.decode('{"op":1,"to":"a","rqi":"t1","pc":{"m2m:ae"'), 'CODEC_MALFORMED', 't1');
  throwsCode(() => jsonCodec.decode(''), 'CODEC_MALFORMED');
  throwsCode(() => jsonCodec.decode('<m2m:rqp/>'), 'CODEC_MALFORMED');
});

test('JSON that is not a valid primitive gives PRIMITIVE_INVALID', () => {
  throwsCode(() => jsonCodec.decode('[{"op":1,"to":"a","rqi":"q"}]'), 'PRIMITIVE_INVALID');
  throwsCode(() => jsonCodec.decode('"op"'), 'PRIMITIVE_INVALID');
  throwsCode(() => jsonCodec.decode('null'), 'PRIMITIVE_INVALID');
  throwsCode(() => jsonCodec.decode('{"rqi":"q1","to":"a"}'), 'PRIMITIVE_INVALID', 'q1');
  throwsCode(() => jsonCodec.decode('{"rsc":2000,"rqi":"q2","rvi":4}'), 'PRIMITIVE_INVALID', 'q2');
  throwsCode(() => jsonCodec.decode('{"op":9,"to":"a","rqi":"q3"}'), 'PRIMITIVE_INVALID', 'q3');
  throwsCode(() => jsonCodec.decode('{"op":1,"rsc":2000,"to":"a","rqi":"q4"}'), 'PRIMITIVE_INVALID', 'q4');
  // The wrapped form some clients send is not oneM2M JSON (Mobius answers it with 4000).
  throwsCode(() => jsonCodec.decode('{"m2m:rqp":{"op":1,"to":"a","rqi":"q5"}}'), 'PRIMITIVE_INVALID');
});

test('recoverRqi finds the rqi in broken text, or nothing', () => {
  assert.equal(recoverRqi('{"op":1, "rqi" : "abc-1", "to":'), 'abc-1');
  assert.equal(recoverRqi('{"op":1,"to":"a"'), undefined);
  assert.equal(recoverRqi('{"rqi":1}'), undefined);
});
