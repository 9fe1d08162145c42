import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MHZ19_READ_CO2, Mhz19Decoder, mhz19Checksum } from '../../../src/drivers/serial/mhz19.js';
import { AgentError } from '../../../src/util/errors.js';
import * as F from '../../fixtures/serial/mhz19.js';

test('the read command is the datasheet one, and the checksum function agrees with the fixtures', () => {
  assert.deepEqual(MHZ19_READ_CO2, F.READ_CO2_REQUEST);
  assert.equal(mhz19Checksum(F.READ_CO2_REQUEST), 0x79);
  assert.equal(mhz19Checksum(F.RESPONSE_608), 0xd1);
  assert.equal(mhz19Checksum(F.RESPONSE_1234), 0x64);
});

test('decodes answers, whole or split, after garbage', () => {
  const d = new Mhz19Decoder();
  assert.deepEqual(d.push(F.RESPONSE_608).frames, [{ co2: 608 }]);
  assert.deepEqual(d.push(F.RESPONSE_1234.subarray(0, 4)).frames, []);
  assert.deepEqual(d.push(F.RESPONSE_1234.subarray(4)).frames, [{ co2: 1234 }]);
  const out = d.push(Buffer.concat([Uint8Array.of(0x00, 0x13, 0xff, 0x01), F.RESPONSE_608]));
  assert.deepEqual(out.frames, [{ co2: 608 }]);
  assert.ok(out.faults.every((e) => e instanceof AgentError && e.code === 'SERIAL_BAD_FRAME'));
  assert.ok(out.faults.length >= 1);
});

test('a bad checksum is reported and the frame dropped', () => {
  const d = new Mhz19Decoder();
  const out = d.push(Buffer.concat([F.RESPONSE_BAD_CHECKSUM, F.RESPONSE_1234]));
  assert.deepEqual(out.frames, [{ co2: 1234 }]);
  assert.ok(out.faults.some((e) => e instanceof AgentError && e.code === 'SERIAL_BAD_CHECKSUM'));
});
