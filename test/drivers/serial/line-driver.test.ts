import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialLineDriver } from '../../../src/drivers/serial/line-driver.js';
import { AgentError } from '../../../src/util/errors.js';
import { bytesReceived, faultCodes, needsSocat, onPty } from './pty-driver.js';

const PATTERN = '^T=(?<temperature>-?\\d+(?:\\.\\d+)?);H=(?<humidity>\\d+(?:\\.\\d+)?)$';

test(
  'a line sensor over a real pty: named groups with units from the model and params',
  { skip: needsSocat },
  async (t) => {
    const { driver, peer, ctx } = await onPty(
      t,
      (path) =>
        new SerialLineDriver(
          { path, baudRate: 115200, pattern: PATTERN, units: { humidity: '%RH' }, events: true },
          { units: { temperature: 'Cel', humidity: 'ignored' } },
        ),
    );
    const received = bytesReceived(driver);
    const first = 'T=21.5;H=40\r\nnoise\r\n\r\nT=-2;';
    await peer.write(first);
    await ctx.waitFor(() => received() >= first.length); // the line's first half has arrived alone
    await peer.write('H=55.5\n');
    await ctx.waitFor(() => ctx.emitted.length === 2);
    assert.deepEqual(
      ctx.emitted.map((b) => b.map((r) => [r.n, r.v, r.u])),
      [
        [
          ['temperature', 21.5, 'Cel'],
          ['humidity', 40, '%RH'],
        ],
        [
          ['temperature', -2, 'Cel'],
          ['humidity', 55.5, '%RH'],
        ],
      ],
    );
    assert.deepEqual(faultCodes(ctx), ['SERIAL_BAD_FRAME']);
    assert.equal((await driver.sample()).length, 2);
  },
);

test('params are checked when the driver is created', () => {
  assert.throws(
    () => new SerialLineDriver({ path: '/dev/ttyUSB0' }),
    (e: unknown) => e instanceof AgentError && e.message.startsWith('params.pattern'),
  );
  assert.throws(
    () => new SerialLineDriver({ pattern: '(?<x>\\d)' }),
    (e: unknown) => e instanceof AgentError && e.message.startsWith('params.path'),
  );
  assert.throws(
    () => new SerialLineDriver({ path: '/dev/ttyUSB0', pattern: '(?<x>\\d)', parity: 'sometimes' }),
    (e: unknown) => e instanceof AgentError && e.message.startsWith('params.parity'),
  );
  assert.throws(
    () => new SerialLineDriver({ path: '/dev/ttyUSB0', pattern: '(?<x>\\d)', stopBits: 3 }),
    (e: unknown) => e instanceof AgentError && e.message.startsWith('params.stopBits'),
  );
});
