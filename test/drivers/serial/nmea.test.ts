import { test } from 'node:test';
import assert from 'node:assert/strict';
import { nmeaChecksum, parseNmeaSentence } from '../../../src/drivers/serial/nmea.js';
import { AgentError } from '../../../src/util/errors.js';
import * as F from '../../fixtures/serial/nmea.js';

const code = (c: string) => (e: unknown) => e instanceof AgentError && e.code === c;
const close = (a: number | undefined, b: number): void => {
  assert.ok(a !== undefined && Math.abs(a - b) < 1e-9, `${String(a)} ≈ ${b}`);
};

test('checksum of the well-known RMC example is 0x6A', () => {
  assert.equal(nmeaChecksum(F.RMC_MUNICH.slice(1, -3)), 0x6a);
});

test('RMC: position in signed decimal degrees', () => {
  const fix = parseNmeaSentence(F.RMC_MUNICH);
  assert.equal(fix?.sentence, 'RMC');
  assert.equal(fix?.valid, true);
  close(fix?.lat, F.MUNICH.lat);
  close(fix?.lon, F.MUNICH.lon);
  close(fix?.lat, 48.1173);
});

test('GGA: position, altitude, fix quality, satellites', () => {
  const fix = parseNmeaSentence(F.GGA_MUNICH);
  assert.deepEqual(
    { ...fix, lat: undefined, lon: undefined },
    { sentence: 'GGA', valid: true, quality: 1, satellites: 8, altM: 545.4, lat: undefined, lon: undefined },
  );
  close(fix?.lat, F.MUNICH.lat);
  close(fix?.lon, F.MUNICH.lon);
});

test('GN talker, southern and western hemispheres are negative', () => {
  const gga = parseNmeaSentence(F.GNGGA_SOUTH_WEST);
  close(gga?.lat, F.SOUTH_WEST.lat);
  close(gga?.lon, F.SOUTH_WEST.lon);
  assert.equal(gga?.quality, 2);
  assert.equal(gga?.satellites, 10);
  const rmc = parseNmeaSentence(F.GNRMC_SOUTH_WEST);
  close(rmc?.lat, -33.752056666666);
  close(rmc?.lon, -151.209463333333);
});

test('no fix: GGA quality 0 and RMC status V carry no position', () => {
  assert.deepEqual(parseNmeaSentence(F.GGA_NO_FIX), {
    sentence: 'GGA',
    quality: 0,
    satellites: 0,
    valid: false,
  });
  assert.deepEqual(parseNmeaSentence(F.RMC_VOID), { sentence: 'RMC', valid: false });
});

test('other sentence types are skipped, bad checksums and malformed lines are errors', () => {
  assert.equal(parseNmeaSentence(F.GSV), undefined);
  assert.throws(() => parseNmeaSentence(F.RMC_BAD_CHECKSUM), code('SERIAL_BAD_CHECKSUM'));
  assert.throws(() => parseNmeaSentence(F.GGA_CORRUPTED), code('SERIAL_BAD_CHECKSUM'));
  assert.throws(
    () => parseNmeaSentence('$GPRMC,123519,A,4807.038,N,01131.000,E,022.4,084.4,230394,003.1,W'),
    code('SERIAL_BAD_FRAME'),
  );
  assert.throws(() => parseNmeaSentence('\u0000\u00ff$GP'), code('SERIAL_BAD_FRAME'));
  // Checksum right but the latitude minutes are 75: malformed.
  const body = 'GPGGA,123519,4875.000,N,01131.000,E,1,08,0.9,545.4,M,46.9,M,,';
  const sum = nmeaChecksum(body).toString(16).toUpperCase().padStart(2, '0');
  assert.throws(() => parseNmeaSentence(`$${body}*${sum}`), code('SERIAL_BAD_FRAME'));
});
