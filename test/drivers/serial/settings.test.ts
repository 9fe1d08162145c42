import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readSerialSettings } from '../../../src/drivers/serial/settings.js';
import { ParamReader } from '../../../src/drivers/params.js';
import { AgentError } from '../../../src/util/errors.js';

test('defaults are 9600 8N1; every setting can be given', () => {
  assert.deepEqual(readSerialSettings(new ParamReader({ path: '/dev/serial0' })), {
    path: '/dev/serial0',
    baudRate: 9600,
    dataBits: 8,
    parity: 'none',
    stopBits: 1,
  });
  assert.deepEqual(
    readSerialSettings(
      new ParamReader({ path: '/dev/ttyUSB0', baudRate: 115200, dataBits: 7, parity: 'even', stopBits: 2 }),
    ),
    { path: '/dev/ttyUSB0', baudRate: 115200, dataBits: 7, parity: 'even', stopBits: 2 },
  );
});

test('bad settings name their key', () => {
  for (const [params, key] of [
    [{}, 'params.path'],
    [{ path: '/dev/x', baudRate: 9600.5 }, 'params.baudRate'],
    [{ path: '/dev/x', dataBits: 9 }, 'params.dataBits'],
    [{ path: '/dev/x', parity: 'sometimes' }, 'params.parity'],
    [{ path: '/dev/x', stopBits: 3 }, 'params.stopBits'],
  ] as const) {
    assert.throws(
      () => readSerialSettings(new ParamReader(params)),
      (e: unknown) => e instanceof AgentError && e.code === 'DRIVER_BAD_PARAMS' && e.message.startsWith(key),
    );
  }
});
