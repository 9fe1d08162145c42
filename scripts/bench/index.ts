/**
 * Runs every benchmark. `--json`: one JSON object per figure on stdout
 * (`{"name","value","unit","baseline","ratio"}`); otherwise readable lines. `--full`: long runs.
 * Add a bench by appending its module to BENCHES.
 */
import { bindingBench } from './binding.js';
import { costBench } from './cost.js';
import { drainBench } from './drain.js';
import { footprintBench } from './footprint.js';
import { fuzzBench } from './fuzz.js';
import { outboxBench } from './outbox.js';
import type { Bench, Figure } from './types.js';

const BENCHES: readonly Bench[] = [
  bindingBench,
  outboxBench,
  footprintBench,
  drainBench,
  costBench,
  fuzzBench,
];

function human(f: Figure): string {
  const value = `${round(f.value)} ${f.unit}`;
  const cmp =
    f.baseline === undefined
      ? ''
      : `  baseline ${round(f.baseline)} ${f.unit}, ratio ${f.ratio?.toFixed(3) ?? '-'}`;
  return `${f.name.padEnd(32)} ${value.padStart(14)}${cmp}`;
}

function round(n: number): string {
  return Number.isInteger(n) ? String(n) : n >= 100 ? n.toFixed(0) : n.toFixed(2);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const full = args.includes('--full');
  const only = args.filter((a) => !a.startsWith('--'));
  const note = (line: string): void => {
    process.stderr.write(`${line}\n`);
  };
  for (const bench of BENCHES) {
    if (only.length > 0 && !only.includes(bench.name)) continue;
    note(`# ${bench.name}${full ? ' (full)' : ''}`);
    const figures = await bench.run({ full, note });
    for (const f of figures) {
      const line = {
        name: f.name,
        value: f.value,
        unit: f.unit,
        baseline: f.baseline ?? null,
        ratio: f.ratio ?? null,
      };
      process.stdout.write(`${json ? JSON.stringify(line) : human(f)}\n`);
    }
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
