/**
 * A strict parser of the Prometheus text exposition format 0.0.4 (what node_exporter's textfile
 * collector reads), for tests: every rule it checks fails the calling test with the line number.
 */
import assert from 'node:assert/strict';

export interface ParsedSample {
  labels: Record<string, string>;
  value: number;
}
export interface ParsedFamily {
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
export function parsePrometheusText(text: string): Map<string, ParsedFamily> {
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

/** The value of one series (`labels` exactly), or undefined when absent. */
export function value(
  fams: Map<string, ParsedFamily>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return fams.get(name)?.samples.find((s) => JSON.stringify(s.labels) === JSON.stringify(labels))?.value;
}
