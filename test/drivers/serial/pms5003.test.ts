import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Pms5003Decoder } from '../../../src/drivers/serial/pms5003.js';
import { AgentError } from '../../../src/util/errors.js';
import * as F from '../../fixtures/serial/pms5003.js';

const codes = (errs: Error[]) => errs.map((e) => (e instanceof AgentError ? e.code : e.message));

test('decodes the atmospheric PM values of whole frames', () => {
  const d = new Pms5003Decoder();
  const out = d.push(Buffer.concat([F.FRAME_CLEAN, F.FRAME_MODERATE, F.FRAME_SMOKY]));
  assert.deepEqual(out.frames, [F.FRAME_CLEAN_PM, F.FRAME_MODERATE_PM, F.FRAME_SMOKY_PM]);
  assert.deepEqual(out.faults, []);
});

test('a frame split at every possible byte boundary still decodes once', () => {
  for (let cut = 1; cut < F.FRAME_SMOKY.length; cut++) {
    const d = new Pms5003Decoder();
    const a = d.push(F.FRAME_SMOKY.subarray(0, cut));
    const b = d.push(F.FRAME_SMOKY.subarray(cut));
    assert.deepEqual([...a.frames, ...b.frames], [F.FRAME_SMOKY_PM], `cut at ${cut}`);
    assert.deepEqual([...a.faults, ...b.faults], []);
  }
});

test('byte-by-byte feeding works', () => {
  const d = new Pms5003Decoder();
  const frames = [];
  for (const byte of F.FRAME_MODERATE) frames.push(...d.push(Uint8Array.of(byte)).frames);
  assert.deepEqual(frames, [F.FRAME_MODERATE_PM]);
});

test('garbage (incl. a false start with a wrong length) between frames is skipped and reported', () => {
  const d = new Pms5003Decoder();
  const out = d.push(Buffer.concat([F.FRAME_CLEAN, F.GARBAGE, F.FRAME_MODERATE]));
  assert.deepEqual(out.frames, [F.FRAME_CLEAN_PM, F.FRAME_MODERATE_PM]);
  assert.ok(out.faults.length >= 1);
  assert.ok(codes(out.faults).every((c) => c === 'SERIAL_BAD_FRAME'));
});

test('a bad checksum drops that frame only, and a frame hidden inside a broken one is found', () => {
  const d = new Pms5003Decoder();
  const out = d.push(Buffer.concat([F.FRAME_BAD_CHECKSUM, F.FRAME_SMOKY]));
  assert.deepEqual(out.frames, [F.FRAME_SMOKY_PM]);
  assert.deepEqual(codes(out.faults).filter((c) => c === 'SERIAL_BAD_CHECKSUM').length, 1);
  // A truncated frame followed directly by a good one: the resync finds the good one.
  const d2 = new Pms5003Decoder();
  const out2 = d2.push(Buffer.concat([F.FRAME_CLEAN.subarray(0, 12), F.FRAME_MODERATE]));
  assert.deepEqual(out2.frames, [F.FRAME_MODERATE_PM]);
  assert.ok(out2.faults.length >= 1);
});

test('reset drops a partial frame', () => {
  const d = new Pms5003Decoder();
  d.push(F.FRAME_CLEAN.subarray(0, 20));
  d.reset();
  const out = d.push(F.FRAME_CLEAN.subarray(20));
  assert.deepEqual(out.frames, []);
});
