import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pms5003Driver } from '../../../src/drivers/serial/pms5003-driver.js';
import { AgentError } from '../../../src/util/errors.js';
import * as F from '../../fixtures/serial/pms5003.js';
import { openPeer } from '../../helpers/pty.js';
import { bytesReceived, faultCodes, needsSocat, onPty } from './pty-driver.js';

const pm = (batch: readonly { n: string; v?: number; u?: string }[] | undefined) =>
  Object.fromEntries((batch ?? []).map((r) => [r.n, r.v]));

test(
  'frames over a real pty: whole, split across writes, garbage between, bad checksum',
  { skip: needsSocat },
  async (t) => {
    const { driver, peer, ctx } = await onPty(t, (path) => new Pms5003Driver({ path, events: true }, {}));
    await peer.write(F.FRAME_CLEAN);
    await ctx.waitFor(() => ctx.emitted.length === 1);
    assert.deepEqual(pm(ctx.emitted[0]), F.FRAME_CLEAN_PM);
    assert.ok(ctx.emitted[0]?.every((r) => r.u === 'ug/m3'));

    const received = bytesReceived(driver);
    await peer.write(F.FRAME_MODERATE.subarray(0, 7));
    await ctx.waitFor(() => received() >= 7); // the frame's first 7 bytes have arrived alone
    await peer.write(F.FRAME_MODERATE.subarray(7));
    await ctx.waitFor(() => ctx.emitted.length === 2);
    assert.deepEqual(pm(ctx.emitted[1]), F.FRAME_MODERATE_PM);

    await peer.write(Buffer.concat([F.GARBAGE, F.FRAME_BAD_CHECKSUM, F.FRAME_SMOKY]));
    await ctx.waitFor(() => ctx.emitted.length === 3);
    assert.deepEqual(pm(ctx.emitted[2]), F.FRAME_SMOKY_PM);
    assert.ok(faultCodes(ctx).includes('SERIAL_BAD_FRAME'));
    assert.equal(faultCodes(ctx).filter((c) => c === 'SERIAL_BAD_CHECKSUM').length, 1);

    // A sample hands out the newest values once; then nothing new has come.
    assert.deepEqual(pm(await driver.sample()), F.FRAME_SMOKY_PM);
    await assert.rejects(
      driver.sample(),
      (e: unknown) => e instanceof AgentError && e.code === 'SENSOR_NO_DATA',
    );
  },
);

test('without params.events frames are only kept for the next sample', { skip: needsSocat }, async (t) => {
  const { driver, peer, ctx } = await onPty(t, (path) => new Pms5003Driver({ path }, {}));
  await peer.write(Buffer.concat([F.FRAME_CLEAN, F.FRAME_MODERATE]));
  const deadline = Date.now() + 5000;
  let readings;
  for (;;) {
    try {
      readings = await driver.sample();
      if (pm(readings)['pm25'] === F.FRAME_MODERATE_PM.pm25) break;
    } catch (err) {
      if (!(err instanceof AgentError && err.code === 'SENSOR_NO_DATA') || Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.deepEqual(pm(readings), F.FRAME_MODERATE_PM);
  assert.equal(ctx.emitted.length, 0);
});

test('the USB adapter is pulled and plugged back in: readings resume', { skip: needsSocat }, async (t) => {
  const { pair, peer, ctx } = await onPty(
    t,
    (path) => new Pms5003Driver({ path, events: true }, { reopenDelayMs: () => 50, presenceCheckMs: 100 }),
  );
  await peer.write(F.FRAME_CLEAN);
  await ctx.waitFor(() => ctx.emitted.length === 1);
  await pair.unplug();
  await ctx.waitFor(() => faultCodes(ctx).includes('SERIAL_OPEN_FAILED'));
  await peer.close();
  await pair.plugIn();
  await ctx.waitFor(() => ctx.log.lines.some((l) => l.msg === 'serial port reopened'));
  const peer2 = await openPeer(pair.b);
  t.after(() => peer2.close());
  await peer2.write(F.FRAME_SMOKY);
  await ctx.waitFor(() => ctx.emitted.length === 2);
  assert.deepEqual(pm(ctx.emitted[1]), F.FRAME_SMOKY_PM);
});
