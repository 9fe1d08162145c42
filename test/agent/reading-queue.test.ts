/**
 * The outbox record of a reading: one compact, versioned record whose header holds the device and
 * the one sampling stamp and whose payload holds the values with their units; 0.1.0 payloads
 * (JSON) still decode; damage is a named error.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import {
  READING_RECORD_VERSION,
  agentOutbox,
  decodeReadingValues,
  encodeReadingValues,
  type SampledValue,
} from '../../src/agent/reading-queue.js';
import { FileOutboxStore, Outbox } from '../../src/outbox/index.js';
import { AgentError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/agent-harness.js';

const VALUES: SampledValue[] = [
  { n: 'temperature', v: 21.5, u: 'Cel' },
  { n: 'count', v: -3 },
  { n: 'big', v: 2 ** 53 - 1 },
  { n: 'open', vb: true },
  { n: 'closed', vb: false, u: '' },
  { n: 'line', vs: '$GPGGA,12,Ü€😀', u: 'lat' },
  { n: '', v: 0.1 },
];

test('values, booleans, texts and units round-trip, behind the version byte', () => {
  const bytes = encodeReadingValues(VALUES);
  assert.equal(bytes[0], READING_RECORD_VERSION);
  const back = decodeReadingValues(bytes);
  // An empty unit is no unit (SenML leaves `u` out).
  assert.deepEqual(
    back,
    VALUES.map((r) => (r.u === '' ? { n: r.n, vb: r.vb } : r)),
  );
});

test('only name, value and unit are stored: a reading’s own times stay out of the payload', () => {
  const reading = { n: 'value', v: 7, u: 'Cel', timeMs: 1_700_000_000_000, monoMs: 5 } as SampledValue;
  const bytes = encodeReadingValues([reading]);
  assert.deepEqual(decodeReadingValues(bytes), [{ n: 'value', v: 7, u: 'Cel' }]);
  assert.equal(bytes.length, 1 + 2 + 1 + 2 + 5 + 2 + 3 + 8);
});

test('a 0.1.0 payload (the pending upload as JSON) decodes to its readings', () => {
  const legacy = new TextEncoder().encode(
    JSON.stringify({
      device: 'climate',
      readings: [
        { n: 'temperature', v: 21.5, u: 'Cel' },
        { n: 'open', vb: true },
      ],
      timeMs: 1_796_126_400_000,
      monoMs: 5_000_000,
      bootId: 'b',
    }),
  );
  assert.deepEqual(decodeReadingValues(legacy), [
    { n: 'temperature', v: 21.5, u: 'Cel' },
    { n: 'open', vb: true },
  ]);
});

test('an unknown version, a short record or bad JSON is PENDING_UPLOAD_CORRUPT', () => {
  const good = encodeReadingValues(VALUES);
  const cases = [
    Uint8Array.of(9, 0, 0),
    good.subarray(0, good.length - 1),
    good.subarray(0, 2),
    new Uint8Array(0),
    new TextEncoder().encode('{"device":"x"'),
    new TextEncoder().encode('{"device":"x","readings":[{"v":1}]}'),
  ];
  for (const bytes of cases)
    assert.throws(
      () => decodeReadingValues(bytes),
      (e: unknown) => e instanceof AgentError && e.code === 'PENDING_UPLOAD_CORRUPT',
      `bytes ${Buffer.from(bytes).toString('hex')}`,
    );
});

test('appended by the agent, the device and the one sampling stamp are in the header, values in the payload', async () => {
  const dir = tempDir('m2m-record-');
  try {
    const store = await FileOutboxStore.open(dir, {});
    const outbox = new Outbox(store, { maxBytes: 1 << 20, maxAgeSeconds: 0 });
    const sampledAt = { wallMs: Date.UTC(2026, 11, 1), monoMs: 1234.5, bootId: 'boot-a' };
    await agentOutbox(outbox, undefined).append(
      { device: 'climate', values: [{ n: 'temperature', v: 21.5, u: 'Cel' }], sampledAt },
      'immediate',
    );
    const [e] = await outbox.next(10);
    assert.ok(e);
    assert.deepEqual(
      [e.stream, e.ec, e.createdWallMs, e.createdMonoMs, e.bootId],
      ['climate', 'immediate', sampledAt.wallMs, sampledAt.monoMs, sampledAt.bootId],
    );
    // Another boot: the stamp the uplink sends is the wall stamp as taken.
    assert.equal(e.correctedCreatedWallMs, sampledAt.wallMs);
    assert.equal(e.payload[0], READING_RECORD_VERSION);
    assert.deepEqual(decodeReadingValues(e.payload), [{ n: 'temperature', v: 21.5, u: 'Cel' }]);
    await outbox.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
