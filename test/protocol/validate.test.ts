/** validatePrimitive: decoded data enters as unknown and leaves as a typed primitive or PRIMITIVE_INVALID. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PrimitiveInvalidError } from '../../src/protocol/errors.js';
import { isPlainObject, validatePrimitive } from '../../src/protocol/validate.js';
import { isRequest, isResponse } from '../../src/protocol/primitive.js';

function invalid(data: unknown, rqi?: string): void {
  assert.throws(
    () => validatePrimitive(data),
    (err: unknown) => {
      assert.ok(err instanceof PrimitiveInvalidError);
      assert.equal(err.code, 'PRIMITIVE_INVALID');
      assert.equal(err.rqi, rqi);
      assert.ok(err.hint);
      return true;
    },
  );
}

test('accepts a request and a response and tells them apart by op / rsc', () => {
  const req = validatePrimitive({
    op: 1,
    to: 'cse-in',
    fr: 'C',
    rqi: 'r1',
    rvi: '3',
    ty: 2,
    pc: { 'm2m:ae': { rn: 'a' } },
  });
  assert.ok(isRequest(req) && !isResponse(req));
  const rsp = validatePrimitive({ rsc: 2001, rqi: 'r1', rvi: '3', pc: { 'm2m:ae': {} } });
  assert.ok(isResponse(rsp) && !isRequest(rsp));
});

test('returns the same object, unknown members kept', () => {
  const data = { rsc: 2000, rqi: 'x', zzz: [1, 2], pc: { 'm2m:dbg': 'fine' } };
  assert.equal(validatePrimitive(data), data);
});

test('accepts every parameter with its documented type', () => {
  const req = {
    op: 2,
    to: 'a',
    fr: 'C',
    rqi: 'r',
    rvi: '2a',
    ot: '20240101T000000',
    rqet: 60000,
    rset: '20240101T000000',
    oet: '60000',
    rt: { rtv: 1 },
    rp: 1,
    rcn: 1,
    ec: 2,
    da: true,
    gid: 'g',
    fc: { fu: 1 },
    drt: 1,
    sqi: false,
    vsi: 'v',
    rids: ['a'],
    tkns: [],
    tids: ['t'],
    ltids: ['l'],
    tqi: true,
    grtm: ['m'],
    ma: 'PT1S',
    asi: {},
    aus: {},
    auri: false,
  };
  assert.equal(validatePrimitive(req), req);
  const rsp = {
    rsc: 4004,
    rqi: 'r',
    rvi: '3',
    to: 'a',
    fr: 'b',
    ot: 'x',
    rset: 5,
    ec: 3,
    cnst: 1,
    cnot: 0,
    ati: ['t'],
    tqf: {},
    asri: {},
    vsi: 'v',
  };
  assert.equal(validatePrimitive(rsp), rsp);
});

test('refuses anything but an object', () => {
  for (const v of [null, undefined, 1, 'op', true, [], [{ op: 1, to: 'a', rqi: 'r' }], new Uint8Array(2)])
    invalid(v);
});

test('refuses a primitive with neither or both of op and rsc, keeping the rqi', () => {
  invalid({ rqi: 'a1', to: 'x' }, 'a1');
  invalid({ op: 1, rsc: 2000, to: 'x', rqi: 'a2' }, 'a2');
});

test('refuses a missing or non-string rqi', () => {
  invalid({ op: 1, to: 'x' });
  invalid({ rsc: 2000 });
  invalid({ rsc: 2000, rqi: 7 });
});

test('refuses parameters of the wrong type, naming the rqi', () => {
  invalid({ rsc: 2000, rqi: 'b1', rvi: 4 }, 'b1');
  invalid({ op: '1', to: 'x', rqi: 'b2' }, 'b2');
  invalid({ op: 1, to: 'x', rqi: 'b3', ty: '2' }, 'b3');
  invalid({ op: 1, to: 'x', rqi: 'b4', pc: 'text' }, 'b4');
  invalid({ op: 1, to: 'x', rqi: 'b5', pc: [] }, 'b5');
  invalid({ op: 1, to: 'x', rqi: 'b6', pc: null }, 'b6');
  invalid({ op: 2, to: 'x', rqi: 'b7', da: 'true' }, 'b7');
  invalid({ op: 2, to: 'x', rqi: 'b8', rids: ['a', 1] }, 'b8');
  invalid({ op: 2, to: 'x', rqi: 'b9', rqet: true }, 'b9');
  invalid({ op: 2, to: 'x', rqi: 'c1', rcn: Number.NaN }, 'c1');
  invalid({ op: 2, to: 'x', rqi: 'c2', rcn: Infinity }, 'c2');
  invalid({ rsc: 2000, rqi: 'c3', cnst: '1' }, 'c3');
});

test('refuses an op outside 1..5 and a request without to', () => {
  for (const op of [0, 6, 9, -1, 1.5]) invalid({ op, to: 'x', rqi: 'd1' }, 'd1');
  invalid({ op: 1, rqi: 'd2' }, 'd2');
  invalid({ op: 1, to: '', rqi: 'd3' }, 'd3');
  for (const op of [1, 2, 3, 4, 5]) assert.ok(validatePrimitive({ op, to: 'x', rqi: 'ok' }));
});

test('refuses an rsc that is not a status code', () => {
  for (const rsc of [0, 999, 7000, 2000.5, -2000]) invalid({ rsc, rqi: 'e1' }, 'e1');
  for (const rsc of [1000, 2000, 4004, 6999]) assert.ok(validatePrimitive({ rsc, rqi: 'ok' }));
});

test('isPlainObject: objects only, not arrays, null or bytes', () => {
  assert.equal(isPlainObject({}), true);
  assert.equal(isPlainObject([]), false);
  assert.equal(isPlainObject(null), false);
  assert.equal(isPlainObject(new Uint8Array(1)), false);
  assert.equal(isPlainObject('x'), false);
});

test('op -2 (ACME forwarding a discovery) becomes a RETRIEVE with fu 1, its other fc kept', () => {
  const p = validatePrimitive({
    op: -2,
    to: '/id-gw1/gw1',
    fr: '/id-in/CAdmin',
    rqi: 'd1',
    rcn: 11,
    fc: { ty: [4] },
  });
  assert.ok(isRequest(p));
  assert.equal(p.op, 2);
  assert.deepEqual(p.fc, { ty: [4], fu: 1 });
  assert.equal(p.rcn, 11);
  const bare = validatePrimitive({ op: -2, to: 'x', rqi: 'd2' });
  assert.ok(isRequest(bare));
  assert.deepEqual(bare.fc, { fu: 1 });
  invalid({ op: -1, to: 'x', rqi: 'd3' }, 'd3');
});
