import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Decoder } from 'cbor-x';
import { senmlContent, toSenml } from '../../src/agent/senml.js';

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
