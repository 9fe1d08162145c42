import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  SEGMENT_MAGIC,
  dataFrameBytes,
  decodeAcks,
  encodeAcks,
  encodeFrame,
  hasSegmentMagic,
  dataPayloadAt,
  readFrame,
  scanFrames,
} from '../../src/outbox/record-codec.js';
import type { NewRecord } from '../../src/outbox/store.js';

const rec = (n: number, extra: Partial<NewRecord> = {}): NewRecord => ({
  stream: `dev/${n % 3}`,
  ec: (['immediate', 'bestEffort', 'latest'] as const)[n % 3] ?? 'bestEffort',
  createdWallMs: 1_700_000_000_000 + n,
  createdMonoMs: 123.456 + n,
  bootId: 'e3b0c442-98fc-1c14-9afb-f4c8996fb924',
  payload: new TextEncoder().encode(`payload ${n} ✓`),
  ...extra,
});

function segment(frames: Uint8Array[]): Uint8Array {
  const total = SEGMENT_MAGIC.length + frames.reduce((a, f) => a + f.length, 0);
  const buf = new Uint8Array(total);
  buf.set(SEGMENT_MAGIC, 0);
  let p = SEGMENT_MAGIC.length;
  for (const f of frames) {
    buf.set(f, p);
    p += f.length;
  }
  return buf;
}

describe('record frames', () => {
  it('round-trip every field, with and without expiry, and for quarantine frames', () => {
    const r = rec(1, { expiresAtWallMs: 1_800_000_000_000 });
    const f = encodeFrame(42, r);
    assert.equal(f.length, dataFrameBytes(r));
    const got = readFrame(f, 0);
    assert.equal(got.kind, 'ok');
    if (got.kind !== 'ok') return;
    const { payload, ...header } = got.record;
    const { payload: want, ...wantHeader } = r;
    assert.deepEqual(header, { ...wantHeader, id: 42, sizeBytes: f.length });
    assert.deepEqual(payload, want);
    assert.equal(got.next, f.length);
    const noExp = readFrame(encodeFrame(43, rec(2)), 0);
    assert.ok(noExp.kind === 'ok' && !('expiresAtWallMs' in noExp.record));
    const q = readFrame(encodeFrame(44, r, { reason: 'rsc 4000', atWallMs: 5 }), 0);
    assert.ok(q.kind === 'ok' && 'reason' in q.record);
    if (q.kind === 'ok' && 'reason' in q.record) {
      assert.equal(q.record.reason, 'rsc 4000');
      assert.equal(q.record.quarantinedAtWallMs, 5);
      assert.deepEqual(q.record.payload, r.payload);
    }
  });

  it('classifies short, impossible and damaged frames', () => {
    const f = encodeFrame(7, rec(7));
    assert.equal(readFrame(f.subarray(0, 5), 0).kind, 'torn');
    assert.equal(readFrame(f.subarray(0, f.length - 1), 0).kind, 'torn');
    const bad = f.slice();
    bad[3] = 0x7f;
    assert.equal(readFrame(bad, 0).kind, 'badLength');
    const flipped = f.slice();
    flipped[f.length - 3]! ^= 1;
    assert.deepEqual(readFrame(flipped, 0), { kind: 'corrupt', next: f.length });
  });

  it('dataPayloadAt: the payload of an intact data frame of that id, nothing otherwise', () => {
    const f = encodeFrame(7, rec(7));
    const at = new Uint8Array(f.length + 10);
    at.set(f, 4);
    assert.deepEqual(dataPayloadAt(at, 4, 4 + f.length, 7), rec(7).payload);
    assert.equal(dataPayloadAt(at, 4, 4 + f.length, 8), undefined, 'another id');
    assert.equal(dataPayloadAt(at, 4, 3 + f.length, 7), undefined, 'cut short');
    const flipped = f.slice();
    flipped[f.length - 3]! ^= 1;
    assert.equal(dataPayloadAt(flipped, 0, f.length, 7), undefined, 'bad checksum');
    const q = encodeFrame(7, rec(7), { reason: 'r', atWallMs: 1 });
    assert.equal(dataPayloadAt(q, 0, q.length, 7), undefined, 'a quarantine frame');
  });

  it('refuses records it cannot represent', () => {
    assert.throws(() => encodeFrame(1, rec(1, { bootId: 'b'.repeat(256) })), RangeError);
    assert.throws(() => encodeFrame(1, rec(1, { stream: 's'.repeat(70_000) })), RangeError);
  });
});

describe('scanFrames', () => {
  const frames = [1, 2, 3, 4].map((n) => encodeFrame(n, rec(n)));
  const ids = (buf: Uint8Array) => scanFrames(buf, SEGMENT_MAGIC.length).records.map((r) => r.record.id);

  it('reads a clean segment', () => {
    const s = scanFrames(segment(frames), 8);
    assert.deepEqual(
      s.records.map((r) => r.record.id),
      [1, 2, 3, 4],
    );
    assert.equal(s.tornAt, undefined);
    assert.equal(s.corrupt, 0);
    assert.equal(s.records[1]!.offset, 8 + frames[0]!.length);
  });

  it('reports a torn tail where the last whole record ends', () => {
    const buf = segment(frames);
    const cut = buf.subarray(0, buf.length - 7);
    const s = scanFrames(cut, 8);
    assert.deepEqual(
      s.records.map((r) => r.record.id),
      [1, 2, 3],
    );
    assert.equal(s.tornAt, buf.length - frames[3]!.length);
  });

  it('skips a corrupt record by its length and counts it', () => {
    const buf = segment(frames);
    buf[8 + frames[0]!.length + 30]! ^= 0xff;
    const s = scanFrames(buf, 8);
    assert.deepEqual(
      s.records.map((r) => r.record.id),
      [1, 3, 4],
    );
    assert.equal(s.corrupt, 1);
    assert.equal(s.tornAt, undefined);
  });

  it('resynchronises after a corrupt length or garbage in the middle', () => {
    const buf = segment(frames);
    buf[8 + frames[0]!.length] = 0x03; // a sane but wrong length for record 2
    assert.deepEqual(ids(buf), [1, 3, 4]);
    const junk = segment([frames[0]!, new Uint8Array(37).fill(0xa5), frames[1]!, frames[2]!]);
    assert.deepEqual(ids(junk), [1, 2, 3]);
  });

  it('treats trailing zeros and a corrupt last record as a torn tail', () => {
    const zeros = segment([frames[0]!, frames[1]!, new Uint8Array(100)]);
    assert.deepEqual(scanFrames(zeros, 8).tornAt, 8 + frames[0]!.length + frames[1]!.length);
    const last = segment(frames);
    last[last.length - 1]! ^= 1;
    const s = scanFrames(last, 8);
    assert.deepEqual([s.records.length, s.corrupt, s.tornAt], [3, 0, last.length - frames[3]!.length]);
  });

  it('checks the segment magic', () => {
    assert.equal(hasSegmentMagic(segment([])), true);
    assert.equal(hasSegmentMagic(new Uint8Array(8)), false);
    assert.equal(hasSegmentMagic(SEGMENT_MAGIC.subarray(0, 4)), false);
  });
});

describe('ack entries', () => {
  it('round-trip, and skip damaged or torn entries', () => {
    const buf = encodeAcks([1, 2, 3, 2 ** 40]);
    assert.deepEqual([...decodeAcks(buf).ids], [1, 2, 3, 2 ** 40]);
    const damaged = buf.slice();
    damaged[12]! ^= 1; // entry 2
    const d = decodeAcks(damaged);
    assert.deepEqual([...d.ids], [1, 3, 2 ** 40]);
    assert.equal(d.bad, 1);
    const torn = decodeAcks(buf.subarray(0, 30));
    assert.deepEqual([[...torn.ids], torn.bad], [[1, 2], 1]);
  });
});
