import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeFrame } from '../../../src/binding/ws/connection.js';
import { decodeFrame, recoverRqiFromText } from '../../../src/binding/ws/incoming.js';
import { cborCodec, jsonCodec } from '../../../src/codec/index.js';
import type { RequestPrimitive } from '../../../src/protocol/primitive.js';

const req: RequestPrimitive = { op: 2, to: 'cse-in', fr: 'Cbarn', rqi: 'r1', rvi: '3' };

test('CBOR goes in binary frames, JSON in text frames, and round-trips', () => {
  const c = encodeFrame(cborCodec, req);
  assert.equal(c.binary, true);
  assert.equal(c.bytes, c.data.length);
  const j = encodeFrame(jsonCodec, req);
  assert.equal(j.binary, false);
  assert.equal(j.data.toString(), JSON.stringify(req));
  const dc = decodeFrame(cborCodec, 'oneM2M.cbor', c.data, true);
  assert.ok(dc.ok);
  assert.deepEqual(dc.primitive, req);
  const dj = decodeFrame(jsonCodec, 'oneM2M.json', j.data, false);
  assert.ok(dj.ok);
  assert.deepEqual(dj.primitive, req);
});

test('a JSON text frame on a CBOR link is decoded as JSON', () => {
  const d = decodeFrame(cborCodec, 'oneM2M.cbor', Buffer.from(JSON.stringify(req)), false);
  assert.ok(d.ok);
  assert.deepEqual(d.primitive, req);
});

test('a binary frame on a JSON link is a frame-type error (close 1003)', () => {
  const d = decodeFrame(jsonCodec, 'oneM2M.json', Buffer.from(JSON.stringify(req)), true);
  assert.equal(d.ok, false);
  if (d.ok) return;
  assert.equal(d.closeCode, 1003);
  assert.equal(d.error.code, 'WS_FRAME_TYPE');
});

test('undecodable input: rqi recovered when possible, close 1007 otherwise', () => {
  const broken = decodeFrame(jsonCodec, 'oneM2M.json', Buffer.from('{"op":1,"rqi":"abc", oops'), false);
  assert.equal(broken.ok, false);
  if (broken.ok) return;
  assert.equal(broken.rqi, 'abc');
  assert.equal(broken.closeCode, 1007);
  assert.equal(broken.error.code, 'WS_MESSAGE_MALFORMED');
  // Valid JSON, invalid primitive: validation keeps the rqi.
  const invalid = decodeFrame(jsonCodec, 'oneM2M.json', Buffer.from('{"op":9,"to":"x","rqi":"q7"}'), false);
  assert.equal(invalid.ok ? undefined : invalid.rqi, 'q7');
  const garbage = decodeFrame(cborCodec, 'oneM2M.cbor', Buffer.from([0xff, 0x00, 0x13]), true);
  assert.equal(garbage.ok, false);
  if (garbage.ok) return;
  assert.equal(garbage.rqi, undefined);
  assert.equal(garbage.closeCode, 1007);
});

test('recoverRqiFromText reads JSON and XML forms', () => {
  assert.equal(recoverRqiFromText('{"rqi" : "x-1", '), 'x-1');
  assert.equal(recoverRqiFromText('<m2m:rqp><rqi>x-2</rqi><op>9'), 'x-2');
  assert.equal(recoverRqiFromText('nothing here'), undefined);
});
