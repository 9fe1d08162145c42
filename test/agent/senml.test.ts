import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder } from 'cbor-x';
import { readingRequest, senmlContent, toSenml } from '../../src/agent/reading-request.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';

const SAMPLED_MS = Date.UTC(2026, 4, 1, 12, 0, 0, 250);

test('a pack has the device as base name and the sampling time (seconds) as base time', () => {
  const pack = toSenml(
    'barn',
    [
      { n: 'temperature', v: 21.5, u: 'Cel' },
      { n: 'door', vb: true },
      { n: 'label', vs: 'ok' },
    ],
    SAMPLED_MS,
  );
  assert.deepEqual(pack, [
    { bn: 'barn:', bt: SAMPLED_MS / 1000, n: 'temperature', u: 'Cel', v: 21.5 },
    { n: 'door', vb: true },
    { n: 'label', vs: 'ok' },
  ]);
});

test('an unnamed reading has no n, and v wins over vb/vs; a zero value is kept', () => {
  const pack = toSenml('counter', [{ n: '', v: 0, vb: false }], 1000);
  assert.deepEqual(pack, [{ bn: 'counter:', bt: 1, v: 0 }]);
});

test('a single reading is named by its base name alone (RFC 8428 4.5.1), time to the millisecond', () => {
  const pack = toSenml('barn', [{ n: 'temperature', v: 21.5, u: 'Cel' }], SAMPLED_MS + 0.4567);
  assert.deepEqual(pack, [{ bn: 'barn:temperature', bt: SAMPLED_MS / 1000, u: 'Cel', v: 21.5 }]);
  assert.equal(
    senmlContent(pack, 'senml+json').con,
    '[{"bn":"barn:temperature","bt":1777636800.25,"u":"Cel","v":21.5}]',
  );
});

test('SenML JSON: cnf application/senml+json:0 and con the JSON text of the pack', () => {
  const pack = toSenml('t', [{ n: 'x', v: 1.25, u: 'm' }], SAMPLED_MS);
  const { cnf, con } = senmlContent(pack, 'senml+json');
  assert.equal(cnf, 'application/senml+json:0');
  assert.deepEqual(JSON.parse(con), pack);
  // Sampling time, not upload time: building it later changes nothing.
  assert.equal((JSON.parse(con) as { bt: number }[])[0]?.bt, 1777636800.25);
});

test('SenML CBOR: cnf application/senml+cbor:2, con base64 of an array of maps with RFC 8428 labels', () => {
  const pack = toSenml(
    'barn',
    [
      { n: 'temperature', v: 21.5, u: 'Cel' },
      { n: 'door', vb: false },
      { n: 'label', vs: 'ok' },
    ],
    SAMPLED_MS,
  );
  const { cnf, con } = senmlContent(pack, 'senml+cbor');
  assert.equal(cnf, 'application/senml+cbor:2');
  assert.match(con, /^[A-Za-z0-9+/]+=*$/);
  const decoded = new Decoder({ mapsAsObjects: false }).decode(Buffer.from(con, 'base64')) as Map<
    number,
    unknown
  >[];
  assert.equal(decoded.length, 3);
  // bn -2, bt -3, n 0, u 1, v 2, vs 3, vb 4 (RFC 8428 table 6).
  assert.deepEqual(
    [...(decoded[0]?.entries() ?? [])].sort(([a], [b]) => a - b),
    [
      [-3, SAMPLED_MS / 1000],
      [-2, 'barn:'],
      [0, 'temperature'],
      [1, 'Cel'],
      [2, 21.5],
    ],
  );
  assert.deepEqual(Object.fromEntries(decoded[1] ?? []), { 0: 'door', 4: false });
  assert.deepEqual(Object.fromEntries(decoded[2] ?? []), { 0: 'label', 3: 'ok' });
});

test('SenML CBOR is smaller than SenML JSON for the same pack', () => {
  const pack = toSenml('barn', [{ n: 'temperature', v: 21.5, u: 'Cel' }], SAMPLED_MS);
  const json = senmlContent(pack, 'senml+json').con;
  const cborBytes = Buffer.from(senmlContent(pack, 'senml+cbor').con, 'base64').length;
  assert.ok(cborBytes < Buffer.byteLength(json), `${cborBytes} < ${Buffer.byteLength(json)}`);
});

/**
 * A strict decoder for the RFC 8949 subset SenML CBOR uses, written from the RFC (not cbor-x):
 * unsigned/negative integers, text strings, arrays, maps, float64, simple true/false. Tags and
 * anything else throw, so a tag 259 (or any extension) fails the test.
 */
function strictDecode(bytes: Uint8Array): unknown {
  let at = 0;
  const byte = (): number => {
    const b = bytes[at++];
    if (b === undefined) throw new Error('truncated');
    return b;
  };
  const arg = (info: number): number => {
    if (info < 24) return info;
    const n = info === 24 ? 1 : info === 25 ? 2 : info === 26 ? 4 : info === 27 ? 8 : 0;
    if (n === 0) throw new Error(`bad additional info ${info}`);
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 256 + byte();
    return v;
  };
  const item = (): unknown => {
    const b = byte();
    const major = b >> 5;
    const info = b & 0x1f;
    switch (major) {
      case 0:
        return arg(info);
      case 1:
        return -1 - arg(info);
      case 3: {
        const n = arg(info);
        const s = Buffer.from(bytes.subarray(at, at + n)).toString('utf8');
        at += n;
        return s;
      }
      case 4:
        return Array.from({ length: arg(info) }, item);
      case 5: {
        const m = new Map<unknown, unknown>();
        for (let i = arg(info); i > 0; i--) m.set(item(), item());
        return m;
      }
      case 7:
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 27) {
          const v = Buffer.from(bytes.subarray(at, at + 8)).readDoubleBE(0);
          at += 8;
          return v;
        }
        throw new Error(`unexpected simple/float ${info}`);
      default:
        throw new Error(`unexpected major type ${major} (a tag or byte string)`);
    }
  };
  const v = item();
  if (at !== bytes.length) throw new Error('trailing bytes');
  return v;
}

test('SenML CBOR is plain RFC 8428 CBOR: integer labels, no tags (independent decoder)', () => {
  const pack = toSenml(
    'barn',
    [
      { n: 'temperature', v: 21.5, u: 'Cel' },
      { n: 'door', vb: true },
    ],
    SAMPLED_MS,
  );
  const bytes = Buffer.from(senmlContent(pack, 'senml+cbor').con, 'base64');
  assert.equal(bytes[0], 0x82, 'an array of two records, not a tag');
  const decoded = strictDecode(bytes) as Map<number, unknown>[];
  assert.deepEqual(
    decoded.map((m) => [...m.entries()]),
    [
      [
        [-2, 'barn:'],
        [-3, SAMPLED_MS / 1000],
        [0, 'temperature'],
        [1, 'Cel'],
        [2, 21.5],
      ],
      [
        [0, 'door'],
        [4, true],
      ],
    ],
  );
});

test('a reading request: CREATE contentInstance, ec left out for bestEffort, nothing echoed back', () => {
  const bind = { to: 'cse-in/barn/temp', fr: 'Cbarn', rqi: 'r1', rvi: '3', format: 'senml+json' } as const;
  const best = readingRequest('temp', [{ n: 'value', v: 1 }], SAMPLED_MS, { ...bind, ec: 'bestEffort' });
  assert.deepEqual(Object.keys(best), ['op', 'to', 'fr', 'rqi', 'rvi', 'ty', 'pc', 'rcn']);
  assert.equal(best.op, Operation.Create);
  assert.equal(best.ty, ResourceType.ContentInstance);
  assert.equal(best.rcn, 0);
  assert.deepEqual(best.pc, {
    'm2m:cin': { cnf: 'application/senml+json:0', con: '[{"bn":"temp:value","bt":1777636800.25,"v":1}]' },
  });
  const named = readingRequest('temp', [{ n: 'value', v: 1 }], SAMPLED_MS, {
    ...bind,
    ec: 'immediate',
    rn: 'temp-7',
  });
  assert.equal(named.ec, 2);
  assert.equal((named.pc?.['m2m:cin'] as { rn?: string }).rn, 'temp-7');
});
