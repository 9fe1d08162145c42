import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  escapeLabelValue,
  renderMetrics,
  writeMetricsFile,
  type MetricsSnapshot,
} from '../../src/agent/metrics.js';
import { parsePrometheusText, value } from '../helpers/prometheus-text.js';

function snapshot(over: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    linkUp: true,
    reconnects: 3,
    outbox: {
      depth: 12,
      bytes: 4096,
      oldestAgeSeconds: 42.5,
      evicted: 1,
      expired: 2,
      quarantined: 4,
      refused: 7,
    },
    devices: { 'temp-1': { readings: 100, errors: 0 }, door: { readings: 7, errors: 2 } },
    lastRoundtripEpochMs: 1_767_225_600_250,
    ...over,
  };
}

test('renders every metric as valid text format with the snapshot values', () => {
  const fams = parsePrometheusText(renderMetrics(snapshot()));
  assert.deepEqual(
    [...fams.keys()],
    [
      'm2m_agent_link_up',
      'm2m_agent_reconnects_total',
      'm2m_agent_outbox_depth',
      'm2m_agent_outbox_bytes',
      'm2m_agent_outbox_oldest_age_seconds',
      'm2m_agent_outbox_dropped_total',
      'm2m_agent_readings_total',
      'm2m_agent_device_errors_total',
      'm2m_agent_last_roundtrip_timestamp_seconds',
    ],
  );
  assert.equal(value(fams, 'm2m_agent_link_up'), 1);
  assert.equal(fams.get('m2m_agent_reconnects_total')?.type, 'counter');
  assert.equal(value(fams, 'm2m_agent_reconnects_total'), 3);
  assert.equal(value(fams, 'm2m_agent_outbox_depth'), 12);
  assert.equal(value(fams, 'm2m_agent_outbox_bytes'), 4096);
  assert.equal(value(fams, 'm2m_agent_outbox_oldest_age_seconds'), 42.5);
  assert.equal(value(fams, 'm2m_agent_outbox_dropped_total', { reason: 'evicted' }), 1);
  assert.equal(value(fams, 'm2m_agent_outbox_dropped_total', { reason: 'expired' }), 2);
  assert.equal(value(fams, 'm2m_agent_outbox_dropped_total', { reason: 'quarantined' }), 4);
  assert.equal(value(fams, 'm2m_agent_outbox_dropped_total', { reason: 'refused' }), 7);
  assert.equal(value(fams, 'm2m_agent_readings_total', { device: 'temp-1' }), 100);
  assert.equal(value(fams, 'm2m_agent_device_errors_total', { device: 'door' }), 2);
  assert.deepEqual(
    fams.get('m2m_agent_readings_total')?.samples.map((s) => s.labels['device']),
    ['door', 'temp-1'],
    'devices sorted',
  );
  assert.equal(value(fams, 'm2m_agent_last_roundtrip_timestamp_seconds'), 1_767_225_600.25);
});

test('link down, empty outbox, no devices and no round trip yet', () => {
  const fams = parsePrometheusText(
    renderMetrics(
      snapshot({
        linkUp: false,
        outbox: { depth: 0, bytes: 0, oldestAgeSeconds: null, evicted: 0, expired: 0, quarantined: 0 },
        devices: {},
        lastRoundtripEpochMs: null,
      }),
    ),
  );
  assert.equal(value(fams, 'm2m_agent_link_up'), 0);
  assert.equal(value(fams, 'm2m_agent_outbox_oldest_age_seconds'), 0);
  assert.equal(value(fams, 'm2m_agent_last_roundtrip_timestamp_seconds'), 0);
  assert.deepEqual(fams.get('m2m_agent_readings_total')?.samples, []);
  assert.equal(fams.get('m2m_agent_readings_total')?.type, 'counter');
});

test('label values are escaped and round-trip through the parser', () => {
  const nasty = 'a"b\\c\nd}e,f=g';
  const text = renderMetrics(snapshot({ devices: { [nasty]: { readings: 5, errors: 1 } } }));
  assert.ok(text.includes('device="a\\"b\\\\c\\nd}e,f=g"'));
  const fams = parsePrometheusText(text);
  assert.equal(value(fams, 'm2m_agent_readings_total', { device: nasty }), 5);
  assert.equal(escapeLabelValue('x\\y"z\n'), 'x\\\\y\\"z\\n');
});

test('the parser rejects malformed text (so passing means something)', () => {
  assert.throws(() => parsePrometheusText('# TYPE a gauge\n# HELP a h\na 1\n'), /HELP after TYPE/);
  assert.throws(() => parsePrometheusText('a 1\n'), /before HELP/);
  assert.throws(() => parsePrometheusText('# HELP a h\n# TYPE a gauge\na{x="\\q"} 1\n'), /illegal escape/);
  assert.throws(
    () => parsePrometheusText('# HELP a h\n# TYPE a gauge\na 1\n# HELP b h\n# TYPE b gauge\nb 1\na 2\n'),
    /not contiguous/,
  );
  assert.throws(() => parsePrometheusText('# HELP a h\n# TYPE a counter\na 1\n'), /without _total/);
});

test('values change as readings flow', () => {
  const before = parsePrometheusText(renderMetrics(snapshot()));
  const s = snapshot();
  const after = parsePrometheusText(
    renderMetrics({
      ...s,
      devices: { ...s.devices, door: { readings: 8, errors: 2 } },
      outbox: { ...s.outbox, depth: 13 },
    }),
  );
  assert.equal(value(before, 'm2m_agent_readings_total', { device: 'door' }), 7);
  assert.equal(value(after, 'm2m_agent_readings_total', { device: 'door' }), 8);
  assert.equal(value(after, 'm2m_agent_outbox_depth'), 13);
});

test('writeMetricsFile replaces the file atomically, group-readable (0640) whatever the umask, leaving no temp file', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-'));
  const oldMask = process.umask(0o077);
  t.after(() => {
    process.umask(oldMask);
    rmSync(dir, { recursive: true, force: true });
  });
  const path = join(dir, 'm2m_agent.prom');
  await writeMetricsFile(path, 'first\n');
  await writeMetricsFile(path, renderMetrics(snapshot()));
  assert.deepEqual(readdirSync(dir), ['m2m_agent.prom']);
  parsePrometheusText(readFileSync(path, 'utf8'));
  assert.equal(statSync(path).mode & 0o777, 0o640);
  await assert.rejects(writeMetricsFile(join(dir, 'missing', 'x.prom'), 'x\n'), { code: 'ENOENT' });
  assert.deepEqual(readdirSync(dir), ['m2m_agent.prom']);
});
