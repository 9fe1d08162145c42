import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as zlib from 'node:zlib';
import { it } from 'node:test';
import { crc32 } from '../../src/outbox/crc32.js';

it('matches the CRC-32 check value and known vectors', () => {
  const enc = new TextEncoder();
  assert.equal(crc32(enc.encode('123456789')), 0xcbf43926); // the standard check value
  assert.equal(crc32(new Uint8Array(0)), 0);
  assert.equal(crc32(enc.encode('The quick brown fox jumps over the lazy dog')), 0x414fa339);
});

it('agrees with zlib on random data and honours start/end', (t) => {
  const z = (zlib as { crc32?: (d: Uint8Array) => number }).crc32;
  const data = randomBytes(4096);
  assert.equal(crc32(data, 100, 300), crc32(data.subarray(100, 300)));
  for (let n = 0; n < 50; n++) {
    const start = Math.floor(Math.random() * 100);
    const end = start + Math.floor(Math.random() * 100);
    assert.equal(
      crc32(data, start, end),
      crc32(Uint8Array.prototype.slice.call(data, start, end)),
      `[${start}, ${end})`,
    );
  }
  if (!z) {
    t.skip('zlib.crc32 needs Node 20.15+');
    return;
  }
  for (let n = 0; n < 50; n++) {
    const d = randomBytes(1 + Math.floor(Math.random() * 1000));
    assert.equal(crc32(d), z(d));
  }
});
