/**
 * Drives a fuzz run in a child process and watches it: a child that reports no progress for
 * `stallMs` is hung on one input; it is killed and the input found by re-running the inputs of
 * the last batch one per process. Used by the seeded test run (test/codec/fuzz.test.ts) and by
 * the long run (scripts/bench/fuzz.ts).
 */
import { fork } from 'node:child_process';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ChildMessage, FuzzChildResult, FuzzJob } from './child.js';
import { fuzzInput, type FuzzTarget } from './inputs.js';

export interface FuzzRunOptions {
  readonly target: FuzzTarget;
  readonly seed: number;
  /** Generated inputs `start .. start + count - 1`. */
  readonly count: number;
  readonly start?: number;
  /** Explicit hex inputs instead (regression fixtures); `count` and `start` are ignored. */
  readonly inputs?: readonly string[];
  /** Per-input budget (default 250 ms), checked by re-running a slow input. */
  readonly budgetMs?: number;
  /** No progress for this long means a hang (default 10 s: far above any batch of inputs). */
  readonly stallMs?: number;
  /** Extra environment for the child (e.g. to compare with another decoder). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface FuzzReport extends FuzzChildResult {
  readonly target: FuzzTarget;
  readonly seed: number;
  /** The input a child hung on (no progress for `stallMs`), when one did. */
  readonly hang?: { readonly index: number; readonly hex: string };
}

const PROGRESS_EVERY = 64;
const here = fileURLToPath(import.meta.url);
// Under tsx (tests) this module is .ts, compiled (bench) .js: the child is its sibling either way,
// and fork passes on process.execArgv (`--import tsx`).
const CHILD = here.slice(0, -extname(here).length).replace(/run$/, 'child') + extname(here);

type Outcome = { kind: 'done'; result: FuzzChildResult } | { kind: 'stalled'; next: number };

function runChild(job: FuzzJob, stallMs: number, env: Readonly<Record<string, string>>): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = fork(CHILD, [], {
      execArgv: [...process.execArgv, '--expose-gc'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let next = job.start;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    // A child hung in native code never notices that its parent went away: kill it on our way out.
    const killChild = (): void => {
      child.kill('SIGKILL');
    };
    process.once('exit', killChild);
    const finish = (o: Outcome | Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      process.off('exit', killChild);
      if (o instanceof Error) reject(o);
      else resolve(o);
    };
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        finish({ kind: 'stalled', next });
      }, stallMs);
    };
    child.on('message', (m: ChildMessage) => {
      if (m.kind === 'progress') {
        next = m.next;
        arm();
      } else finish({ kind: 'done', result: m.result });
    });
    child.on('error', (err) => {
      finish(err);
    });
    child.on('exit', (code, signal) => {
      finish(new Error(`fuzz child exited (${signal ?? code}) before reporting`));
    });
    arm();
    child.send(job);
  });
}

/** Runs the inputs in a watched child; finds the exact input when the child hangs. */
export async function runFuzz(o: FuzzRunOptions): Promise<FuzzReport> {
  const stallMs = o.stallMs ?? 10_000;
  const env = o.env ?? {};
  const job: FuzzJob = {
    target: o.target,
    seed: o.seed,
    start: o.inputs ? 0 : (o.start ?? 0),
    count: o.inputs ? o.inputs.length : o.count,
    budgetMs: o.budgetMs ?? 250,
    progressEvery: PROGRESS_EVERY,
    ...(o.inputs ? { inputs: o.inputs } : {}),
  };
  const outcome = await runChild(job, stallMs, env);
  if (outcome.kind === 'done') return { target: o.target, seed: o.seed, ...outcome.result };
  // Hung somewhere in the batch starting at `next`: one process per input finds which.
  const hexOf = (i: number): string =>
    o.inputs ? (o.inputs[i] ?? '') : Buffer.from(fuzzInput(o.target, o.seed, i)).toString('hex');
  let hang = { index: outcome.next, hex: hexOf(outcome.next) };
  for (let i = outcome.next; i < outcome.next + PROGRESS_EVERY && i < job.start + job.count; i++) {
    const single = await runChild(
      { ...job, start: i, count: 1, ...(o.inputs ? { inputs: [hexOf(i)] } : {}) },
      stallMs,
      env,
    );
    if (single.kind === 'stalled') {
      hang = { index: i, hex: hexOf(i) };
      break;
    }
  }
  return {
    target: o.target,
    seed: o.seed,
    inputs: outcome.next - job.start,
    elapsedMs: 0,
    outcomes: {},
    slowest: { index: -1, hex: '', ms: 0 },
    overBudget: [],
    failures: [],
    rssBeforeBytes: 0,
    rssAfterBytes: 0,
    rssMaxBytes: 0,
    heapBeforeBytes: 0,
    heapAfterBytes: 0,
    hang,
  };
}
