import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mhz19Driver } from '../../../src/drivers/serial/mhz19-driver.js';
import { AgentError } from '../../../src/util/errors.js';
import * as F from '../../fixtures/serial/mhz19.js';
import { bytesReceived, needsSocat, onPty } from './pty-driver.js';

test(
  'each sample sends the datasheet read command and decodes the answer',
  { skip: needsSocat },
  async (t) => {
    const { driver, peer, ctx } = await onPty(t, (path) => new Mhz19Driver({ path, timeoutMs: 5000 }, {}));
    const received = bytesReceived(driver);
    const first = driver.sample();
    assert.deepEqual(new Uint8Array(await peer.take(9)), F.READ_CO2_REQUEST);
    await peer.write(F.RESPONSE_608);
    const [r] = await first;
    assert.equal(r?.n, 'co2');
    assert.equal(r?.v, 608);
    assert.equal(r?.u, 'ppm');

    // The answer split across two writes, after some garbage.
    const second = driver.sample();
    await peer.take(9);
    const before = received();
    await peer.write(Buffer.concat([Uint8Array.of(0x00, 0x13), F.RESPONSE_1234.subarray(0, 5)]));
    await ctx.waitFor(() => received() >= before + 7); // garbage and the answer's first half, alone
    await peer.write(F.RESPONSE_1234.subarray(5));
    assert.equal((await second)[0]?.v, 1234);
  },
);

test(
  'a corrupted answer fails that sample with SERIAL_BAD_CHECKSUM; no answer times out',
  { skip: needsSocat },
  async (t) => {
    const { driver, peer } = await onPty(t, (path) => new Mhz19Driver({ path, timeoutMs: 300 }, {}));
    // Each expectation is attached before the peer acts: the sample can fail while the peer's
    // write is still completing, and a rejection nobody awaits yet fails the test as unhandled.
    const bad = assert.rejects(
      driver.sample(),
      (e: unknown) => e instanceof AgentError && e.code === 'SERIAL_BAD_CHECKSUM',
    );
    await peer.take(9);
    await peer.write(F.RESPONSE_BAD_CHECKSUM);
    await bad;
    const silent = assert.rejects(
      driver.sample(),
      (e: unknown) => e instanceof AgentError && e.code === 'SENSOR_TIMEOUT',
    );
    await peer.take(9);
    await silent;
    // After a timeout the next request works again.
    const ok = driver.sample();
    await peer.take(9);
    await peer.write(F.RESPONSE_608);
    assert.equal((await ok)[0]?.v, 608);
  },
);
