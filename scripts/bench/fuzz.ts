/**
 * The long fuzz run: seeded inputs per decoder (CBOR, JSON, XML, and the SenML command parser),
 * each decoded in a watched child process (scripts/bench/fuzz/). 20k inputs per target by default,
 * 1M with `--full` (`npm run fuzz`). Figures per target: inputs/s, slowest input (ms, best of
 * four timings), RSS of the decoding process before and after (and its peak), heap in use after a
 * full GC before and after (the leak check), inputs over the per-input budget, hangs, and
 * failures (anything but a named CODEC_* / PRIMITIVE_* error). A hang does not stop the run: the
 * input is printed (keep it in test/fixtures/fuzz/) and the run goes on after it.
 * Baseline for CBOR: cbor-x's pure-JS decoder (the agent's decoder before) on the same inputs.
 * `FUZZ_SEED=n` picks another seed.
 */
import { runFuzz, type FuzzReport, type FuzzRunOptions } from './fuzz/run.js';
import { FUZZ_TARGETS, type FuzzTarget } from './fuzz/inputs.js';
import type { Bench, BenchOptions, Figure } from './types.js';

const MB = 1024 * 1024;

/** Runs `count` inputs, continuing after any hang; returns the merged figures. */
async function longRun(
  o: FuzzRunOptions,
  note: (line: string) => void,
): Promise<{ reports: FuzzReport[]; hangs: string[] }> {
  const reports: FuzzReport[] = [];
  const hangs: string[] = [];
  let start = 0;
  while (start < o.count) {
    const r = await runFuzz({ ...o, start, count: o.count - start });
    reports.push(r);
    if (!r.hang) break;
    note(`HANG ${o.target} seed ${o.seed} input #${r.hang.index}: ${r.hang.hex}`);
    hangs.push(r.hang.hex);
    start = r.hang.index + 1;
  }
  for (const r of reports) {
    for (const f of r.failures) note(`FAILURE ${o.target} #${f.index}: ${f.error}: ${f.hex}`);
    for (const s of r.overBudget)
      note(`OVER BUDGET ${o.target} #${s.index}: ${s.ms.toFixed(1)} ms: ${s.hex}`);
  }
  return { reports, hangs };
}

async function fuzzTarget(
  target: FuzzTarget,
  count: number,
  seed: number,
  opts: BenchOptions,
): Promise<Figure[]> {
  const { reports, hangs } = await longRun({ target, seed, count }, opts.note);
  const done = reports.filter((r) => !r.hang);
  const inputs = reports.reduce((n, r) => n + r.inputs, 0);
  const elapsedMs = done.reduce((n, r) => n + r.elapsedMs, 0);
  const slowest = reports.reduce((a, r) => (r.slowest.ms > a.slowest.ms ? r : a));
  const first = done[0];
  const last = done[done.length - 1];
  const outcomes: Record<string, number> = {};
  for (const r of reports)
    for (const [k, n] of Object.entries(r.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
  opts.note(
    `${target}: ${inputs} inputs, outcomes ${JSON.stringify(outcomes)}, slowest #${slowest.slowest.index} ${slowest.slowest.ms.toFixed(2)} ms: ${slowest.slowest.hex.slice(0, 160)}`,
  );
  const rate = elapsedMs > 0 ? (1000 * done.reduce((n, r) => n + r.inputs, 0)) / elapsedMs : 0;
  let baseline: number | undefined;
  if (target === 'cbor') {
    // The same first inputs through cbor-x's pure-JS path (its native path can hang: not a baseline).
    const sample = Math.min(count, 100_000);
    const b = await runFuzz({
      target,
      seed,
      count: sample,
      env: { FUZZ_CBOR_DECODER: 'cbor-x', CBOR_NATIVE_ACCELERATION_DISABLED: 'true' },
    });
    if (!b.hang && b.elapsedMs > 0) baseline = (1000 * b.inputs) / b.elapsedMs;
  }
  const fig = (name: string, value: number, unit: string, base?: number): Figure =>
    base === undefined
      ? { name: `fuzz.${target}.${name}`, value, unit }
      : { name: `fuzz.${target}.${name}`, value, unit, baseline: base, ratio: value / base };
  return [
    fig('inputs', inputs, 'inputs'),
    fig('rate', rate, 'inputs/s', baseline),
    fig('slowest', slowest.slowest.ms, 'ms'),
    fig('rss.before', (first?.rssBeforeBytes ?? 0) / MB, 'MB'),
    fig('rss.after', (last?.rssAfterBytes ?? 0) / MB, 'MB'),
    fig('rss.peak', Math.max(...done.map((r) => r.rssMaxBytes)) / MB, 'MB'),
    fig('heap.before', (first?.heapBeforeBytes ?? 0) / MB, 'MB'),
    fig('heap.after', (last?.heapAfterBytes ?? 0) / MB, 'MB'),
    fig(
      'over_budget',
      reports.reduce((n, r) => n + r.overBudget.length, 0),
      'inputs',
    ),
    fig('failures', outcomes['FAILURE'] ?? 0, 'inputs'),
    fig('hangs', hangs.length, 'inputs'),
  ];
}

export const fuzzBench: Bench = {
  name: 'fuzz',
  async run(opts: BenchOptions): Promise<Figure[]> {
    const count = opts.full ? 1_000_000 : 20_000;
    const seed = Number(process.env['FUZZ_SEED'] ?? 1);
    const figures: Figure[] = [];
    for (const target of FUZZ_TARGETS) {
      opts.note(`fuzz ${target}: ${count} inputs, seed ${seed}`);
      figures.push(...(await fuzzTarget(target, count, seed, opts)));
    }
    return figures;
  },
};
