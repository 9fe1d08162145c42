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

interface ParsedSample {
  labels: Record<string, string>;
  value: number;
}
interface ParsedFamily {
  help?: string;
  type?: string;
  samples: ParsedSample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Label set `{a="x",b="y"}`: only \\, \" and \n escapes are legal. */
function parseLabels(text: string, lineNo: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 1; // after '{'
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    assert.ok(eq > i, `line ${lineNo}: label name expected`);
    const name = text.slice(i, eq);
    assert.match(name, LABEL_NAME, `line ${lineNo}: bad label name`);
    assert.ok(!(name in labels), `line ${lineNo}: duplicate label ${name}`);
    assert.equal(text[eq + 1], '"', `line ${lineNo}: label value must be quoted`);
    let value = '';
    let j = eq + 2;
    for (;;) {
      const c = text[j];
      assert.ok(c !== undefined, `line ${lineNo}: unterminated label value`);
      assert.notEqual(c, '\n', `line ${lineNo}: raw newline in label value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = text[j + 1];
        if (e === '\\') value += '\\';
        else if (e === '"') value += '"';
        else if (e === 'n') value += '\n';
        else assert.fail(`line ${lineNo}: illegal escape \\${e ?? ''}`);
        j += 2;
      } else {
        value += c;
        j++;
      }
    }
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else assert.equal(text[i], '}', `line ${lineNo}: ',' or '}' expected`);
  }
}

function parseValue(text: string, lineNo: number): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  assert.match(text, /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/, `line ${lineNo}: bad value ${text}`);
  return Number(text);
}

/** A strict parser of the Prometheus text format 0.0.4, enough to hold our output to the rules. */
function parsePrometheusText(text: string): Map<string, ParsedFamily> {
  assert.ok(text.endsWith('\n'), 'must end with a newline');
  const families = new Map<string, ParsedFamily>();
  const finished = new Set<string>();
  const seenSeries = new Set<string>();
  let current: string | undefined;
  const family = (name: string, lineNo: number): ParsedFamily => {
    assert.match(name, METRIC_NAME, `line ${lineNo}: bad metric name ${name}`);
    if (current !== name) {
      assert.ok(!finished.has(name), `line ${lineNo}: ${name} is not contiguous`);
      if (current !== undefined) finished.add(current);
      current = name;
    }
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  text
    .slice(0, -1)
    .split('\n')
    .forEach((line, idx) => {
      const lineNo = idx + 1;
      assert.notEqual(line.trim(), '', `line ${lineNo}: empty line`);
      const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
      if (meta) {
        const [, kind, name, rest] = meta as unknown as [string, string, string, string];
        const f = family(name, lineNo);
        if (kind === 'HELP') {
          assert.equal(f.help, undefined, `line ${lineNo}: second HELP`);
          assert.equal(f.type, undefined, `line ${lineNo}: HELP after TYPE`);
          assert.doesNotMatch(rest.replace(/\\\\|\\n/g, ''), /\\/, `line ${lineNo}: bad escape in HELP`);
          f.help = rest.replace(/\\(\\|n)/g, (_m, e: string) => (e === 'n' ? '\n' : '\\'));
        } else {
          assert.equal(f.type, undefined, `line ${lineNo}: second TYPE`);
          assert.equal(f.samples.length, 0, `line ${lineNo}: TYPE after samples`);
          assert.ok(TYPES.has(rest), `line ${lineNo}: unknown type ${rest}`);
          f.type = rest;
        }
        return;
      }
      assert.ok(!line.startsWith('#'), `line ${lineNo}: unexpected comment`);
      const m = /^([^{\s]+)(.*)$/.exec(line);
      assert.ok(m, `line ${lineNo}: unparsable`);
      const name = m[1]!;
      let rest = m[2]!;
      let labels: Record<string, string> = {};
      if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest, lineNo));
      const parts = rest.split(' ');
      assert.ok(parts.length === 2 && parts[0] === '', `line ${lineNo}: expected ' value' (no timestamp)`);
      const f = family(name, lineNo);
      assert.ok(f.type !== undefined && f.help !== undefined, `line ${lineNo}: sample before HELP/TYPE`);
      const series = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
      assert.ok(!seenSeries.has(series), `line ${lineNo}: duplicate series`);
      seenSeries.add(series);
      f.samples.push({ labels, value: parseValue(parts[1]!, lineNo) });
    });
  for (const [name, f] of families) {
    assert.ok(f.type !== undefined && f.help !== undefined, `${name}: missing HELP or TYPE`);
    if (f.type === 'counter') assert.ok(name.endsWith('_total'), `${name}: counter without _total`);
  }
  return families;
}

function snapshot(over: Partial<MetricsSnapshot> = {}): MetricsSnapshot {
  return {
    linkUp: true,
    reconnects: 3,
    outbox: { depth: 12, bytes: 4096, oldestAgeSeconds: 42.5, evicted: 1, expired: 2, quarantined: 4 },
    devices: { 'temp-1': { readings: 100, errors: 0 }, door: { readings: 7, errors: 2 } },
    lastRoundtripEpochMs: 1_767_225_600_250,
    ...over,
  };
}

function value(
  fams: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return fams.get(name)?.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
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

test('writeMetricsFile replaces the file atomically, world-readable, leaving no temp file', async (t) => {
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
  assert.equal(statSync(path).mode & 0o777, 0o644);
  await assert.rejects(writeMetricsFile(join(dir, 'missing', 'x.prom'), 'x\n'), { code: 'ENOENT' });
  assert.deepEqual(readdirSync(dir), ['m2m_agent.prom']);
});
