import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NmeaDriver } from '../../../src/drivers/serial/nmea-driver.js';
import * as F from '../../fixtures/serial/nmea.js';
import { bytesReceived, faultCodes, needsSocat, onPty } from './pty-driver.js';

test(
  'GGA and RMC over a real pty become lat/lon/alt/fix/satellites; bad checksums are counted and dropped',
  { skip: needsSocat },
  async (t) => {
    const { driver, peer, ctx } = await onPty(
      t,
      (path) => new NmeaDriver({ path, baudRate: 9600, events: true }, {}),
    );
    // A receiver's burst: an unused sentence, a corrupted one, then GGA split across two writes.
    const received = bytesReceived(driver);
    const first = `${F.GSV}\r\n${F.RMC_BAD_CHECKSUM}\r\n${F.GGA_MUNICH.slice(0, 30)}`;
    await peer.write(first);
    await ctx.waitFor(() => received() >= first.length); // GGA's first half has arrived alone
    await peer.write(`${F.GGA_MUNICH.slice(30)}\r\n`);
    await ctx.waitFor(() => ctx.emitted.length === 1);
    const gga = Object.fromEntries((ctx.emitted[0] ?? []).map((r) => [r.n, r]));
    assert.equal(gga['fix']?.v, 1);
    assert.equal(gga['satellites']?.v, 8);
    assert.equal(gga['alt']?.v, 545.4);
    assert.equal(gga['alt']?.u, 'm');
    assert.equal(gga['lat']?.u, 'lat');
    assert.equal(gga['lon']?.u, 'lon');
    assert.ok(Math.abs((gga['lat']?.v ?? 0) - F.MUNICH.lat) < 1e-9);
    assert.ok(Math.abs((gga['lon']?.v ?? 0) - F.MUNICH.lon) < 1e-9);
    assert.deepEqual(faultCodes(ctx), ['SERIAL_BAD_CHECKSUM']);

    await peer.write(`${F.GGA_CORRUPTED}\r\n${F.GNRMC_SOUTH_WEST}\r\n`);
    await ctx.waitFor(() => ctx.emitted.length === 2);
    assert.deepEqual(faultCodes(ctx), ['SERIAL_BAD_CHECKSUM', 'SERIAL_BAD_CHECKSUM']);
    assert.deepEqual(
      ctx.emitted[1]?.map((r) => r.n),
      ['lat', 'lon'],
    );
    // The sample merges the newest value of each reading: position from RMC, altitude from the GGA.
    const sampled = Object.fromEntries((await driver.sample()).map((r) => [r.n, r.v]));
    assert.ok(Math.abs((sampled['lat'] ?? 0) - F.SOUTH_WEST.lat) < 1e-9);
    assert.equal(sampled['alt'], 545.4);
  },
);

test('losing the fix reports fix 0 and no position', { skip: needsSocat }, async (t) => {
  const { peer, ctx } = await onPty(t, (path) => new NmeaDriver({ path, events: true }, {}));
  await peer.write(`${F.RMC_VOID}\r\n${F.GGA_NO_FIX}\r\n`);
  await ctx.waitFor(() => ctx.emitted.length === 1);
  assert.deepEqual(
    ctx.emitted[0]?.map((r) => [r.n, r.v]),
    [
      ['fix', 0],
      ['satellites', 0],
    ],
  );
});
