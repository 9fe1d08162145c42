/**
 * Every decoder bounds its input before building anything: declared lengths beyond the bytes left
 * are refused at once, nesting and value counts are capped (DECODE_LIMITS), and what remains
 * decodes to the JSON data model. The named code is what the binding logs and tests match.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeCbor } from '../../src/codec/cbor-decode.js';
import { cborCodec, jsonCodec, xmlCodec } from '../../src/codec/index.js';
import { DECODE_LIMITS } from '../../src/codec/limits.js';
import { parseCommand } from '../../src/drivers/command.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function throwsCode(fn: () => unknown, code: string, message?: RegExp): void {
  assert.throws(fn, (err: { code?: string; message?: string }) => {
    assert.equal(err.code, code);
    if (message) assert.match(err.message ?? '', message);
    return true;
  });
}

test('cbor: a declared length beyond the bytes left is refused at once (the 13-byte freeze)', () => {
  throwsCode(() => cborCodec.decode(hex('6307d131636961335afffffffb')), 'CODEC_MALFORMED');
  throwsCode(
    () => decodeCbor(hex('5afffffffb')),
    'CODEC_MALFORMED',
    /declares 4294967291 bytes, only 0 left/,
  );
  throwsCode(() => decodeCbor(hex('7b ffffffffffffffff 61')), 'CODEC_MALFORMED', /declares/);
  throwsCode(() => decodeCbor(hex('9afffffffb 00')), 'CODEC_MALFORMED', /an array declares/);
  throwsCode(() => decodeCbor(hex('ba00010000 6161 00')), 'CODEC_MALFORMED', /a map declares/);
  throwsCode(() => decodeCbor(hex('19 01')), 'CODEC_MALFORMED', /a head declares 2 bytes, only 1 left/);
});

test('cbor: nesting and value counts are capped with CODEC_LIMIT_EXCEEDED', () => {
  const deep = new Uint8Array(DECODE_LIMITS.maxDepth + 1).fill(0x81);
  throwsCode(() => decodeCbor(Uint8Array.from([...deep, 0x00])), 'CODEC_LIMIT_EXCEEDED', /nested deeper/);
  const tags = new Uint8Array(DECODE_LIMITS.maxDepth + 1).fill(0xc1);
  throwsCode(() => decodeCbor(Uint8Array.from([...tags, 0x00])), 'CODEC_LIMIT_EXCEEDED', /nested deeper/);
  // An array of 131,072 empty maps: 128 KiB of CBOR, millions of bytes of objects.
  const many = new Uint8Array(5 + 131_072).fill(0xa0);
  many.set([0x9a, 0x00, 0x02, 0x00, 0x00]);
  throwsCode(() => decodeCbor(many), 'CODEC_LIMIT_EXCEEDED', /more than 100000 values/);
  const indefinite = Uint8Array.from([0x9f, ...new Uint8Array(DECODE_LIMITS.maxItems + 1), 0xff]);
  throwsCode(() => decodeCbor(indefinite), 'CODEC_LIMIT_EXCEEDED');
});

test('cbor: one item, valid UTF-8, no stray break or reserved values', () => {
  throwsCode(() => decodeCbor(hex('00 00')), 'CODEC_MALFORMED', /1 bytes after the data item/);
  throwsCode(() => decodeCbor(hex('62 c328')), 'CODEC_MALFORMED', /not valid UTF-8/);
  throwsCode(() => decodeCbor(hex('ff')), 'CODEC_MALFORMED', /unexpected break/);
  throwsCode(() => decodeCbor(hex('1c')), 'CODEC_MALFORMED', /reserved/);
  throwsCode(() => decodeCbor(hex('f0')), 'CODEC_MALFORMED', /simple value/);
  throwsCode(() => decodeCbor(hex('a1 81 00 00')), 'CODEC_MALFORMED', /map key/);
  throwsCode(() => decodeCbor(hex('5f 61 61 ff')), 'CODEC_MALFORMED', /wrong type/);
});

test('cbor: what remains decodes to the data model (indefinite lengths, half floats, tags, __proto__)', () => {
  assert.deepEqual(decodeCbor(hex('bf 61 61 9f 01 f9 3e00 f9 fc00 ff ff')), { a: [1, 1.5, -Infinity] });
  assert.deepEqual(decodeCbor(hex('7f 62 6869 61 21 ff')), 'hi!');
  assert.deepEqual(decodeCbor(hex('d9d9f7 a1 01 c1 1a 5f000000')), { '1': 1593835520 });
  assert.deepEqual(decodeCbor(hex('3b 0000000000000063')), -100);
  assert.deepEqual(decodeCbor(hex('43 010203')), Uint8Array.from([1, 2, 3]));
  const o = decodeCbor(hex('a1 69 5f5f70726f746f5f5f a1 61 78 01')) as Record<string, unknown>;
  assert.equal(Object.getPrototypeOf(o), Object.prototype);
  assert.deepEqual(Object.keys(o), ['__proto__']);
});

test('json: nesting and value counts are capped before JSON.parse, with the rqi kept', () => {
  const deep = '['.repeat(DECODE_LIMITS.maxDepth + 1) + ']'.repeat(DECODE_LIMITS.maxDepth + 1);
  throwsCode(() => jsonCodec.decode(`{"rqi":"r9","rsc":2000,"pc":${deep}}`), 'CODEC_LIMIT_EXCEEDED');
  assert.throws(() => jsonCodec.decode(`{"rqi":"r9","rsc":2000,"pc":${deep}}`), { rqi: 'r9' });
  throwsCode(() => jsonCodec.decode(`[${'{},'.repeat(DECODE_LIMITS.maxItems)}{}]`), 'CODEC_LIMIT_EXCEEDED');
  // Brackets and commas inside strings are text, not structure.
  const p = jsonCodec.decode(
    `{"rqi":"a","rsc":2000,"pc":{"m2m:dbg":"${'[,'.repeat(DECODE_LIMITS.maxItems)}\\""}}`,
  );
  assert.equal(p.rqi, 'a');
});

test('xml: element depth and element/attribute counts are capped before parsing', () => {
  const open = '<m2m:rsp xmlns:m2m="http://www.onem2m.org/xml/protocols"><rqi>x1</rqi>';
  const deep = '<a>'.repeat(DECODE_LIMITS.maxDepth) + '</a>'.repeat(DECODE_LIMITS.maxDepth);
  throwsCode(() => xmlCodec.decode(`${open}${deep}</m2m:rsp>`), 'CODEC_LIMIT_EXCEEDED', /nested deeper/);
  assert.throws(() => xmlCodec.decode(`${open}${deep}</m2m:rsp>`), { rqi: 'x1' });
  throwsCode(
    () => xmlCodec.decode(`${open}${'<b/>'.repeat(DECODE_LIMITS.maxItems)}</m2m:rsp>`),
    'CODEC_LIMIT_EXCEEDED',
  );
  // Self-closing tags, comments, CDATA and quoted '>' do not count as depth.
  const flat = `${open}<rsc>2000</rsc><pc><m2m:dbg><![CDATA[${'<a>'.repeat(100)}]]></m2m:dbg></pc><!-- ${'<a>'.repeat(100)} -->${'<e x="/>"/>'.repeat(100)}</m2m:rsp>`;
  assert.equal(xmlCodec.decode(flat).rqi, 'x1');
});

test('SenML in con: a command text beyond a few records is not a command, and is not parsed', () => {
  assert.equal(parseCommand('[{"n":"","v":1}]'), 1);
  assert.equal(parseCommand('['.repeat(10_000) + ']'.repeat(10_000)), undefined);
  assert.equal(parseCommand(`[${'{"x":1},'.repeat(2000)}{"v":1}]`), undefined);
});
