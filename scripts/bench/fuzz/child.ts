/**
 * The fuzz worker process: decodes the inputs its parent names (a range of generated inputs, or
 * explicit ones), classifies every outcome and reports progress often, so that the parent can
 * tell a hang (no progress) from slow work and kill it. A separate process, not a worker thread:
 * a hang inside native code (cbor-extract) cannot be interrupted in a thread, a process can be
 * killed.
 */
import { performance } from 'node:perf_hooks';
import { Decoder } from 'cbor-x';
import { codecFor } from '../../../src/codec/index.js';
import { validatePrimitive } from '../../../src/protocol/validate.js';
import { parseCommand } from '../../../src/drivers/command.js';
import { fuzzInput, type FuzzTarget } from './inputs.js';

/** What the parent asks for. */
export interface FuzzJob {
  readonly target: FuzzTarget;
  readonly seed: number;
  readonly start: number;
  readonly count: number;
  /** Hex inputs to decode instead of generated ones (regression fixtures). */
  readonly inputs?: readonly string[];
  /** An input slower than this is timed again; it counts as over budget if still slower. */
  readonly budgetMs: number;
  /** Progress message every this many inputs. */
  readonly progressEvery: number;
}

export interface FuzzInputRef {
  readonly index: number;
  readonly hex: string;
}

/** What the child reports at the end. */
export interface FuzzChildResult {
  readonly inputs: number;
  readonly elapsedMs: number;
  /** Outcomes by code: `ok`, `CODEC_MALFORMED`, `PRIMITIVE_INVALID`, ... */
  readonly outcomes: Readonly<Record<string, number>>;
  readonly slowest: FuzzInputRef & { readonly ms: number };
  /** Inputs slower than the budget on every one of three re-runs. */
  readonly overBudget: readonly (FuzzInputRef & { readonly ms: number })[];
  /** Inputs that threw anything but a named CODEC_* / PRIMITIVE_* error (first 20). */
  readonly failures: readonly (FuzzInputRef & { readonly error: string })[];
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  readonly rssMaxBytes: number;
  /** Heap in use after a full GC, before and after the run (the leak check; RSS also holds free heap). */
  readonly heapBeforeBytes: number;
  readonly heapAfterBytes: number;
}

export type ChildMessage =
  | { readonly kind: 'progress'; readonly next: number }
  | { readonly kind: 'done'; readonly result: FuzzChildResult };

const preview = (b: Uint8Array): string => Buffer.from(b.subarray(0, 512)).toString('hex');

/**
 * `FUZZ_CBOR_DECODER=cbor-x`: decode CBOR with cbor-x as the agent did before (a baseline for the
 * figures, and how hangs of the pinned native extractor are found; add
 * `CBOR_NATIVE_ACCELERATION_DISABLED=true` for its pure-JS path). Its errors are plain Errors,
 * counted as `cbor-x-error`.
 */
const cborX =
  process.env.FUZZ_CBOR_DECODER === 'cbor-x'
    ? new Decoder({ useRecords: false, mapsAsObjects: true })
    : undefined;

/** One decode: the outcome code, or throws what a decoder must never throw. */
function decodeOnce(target: FuzzTarget, input: Uint8Array): string {
  if (target === 'cbor' && cborX) {
    let value: unknown;
    try {
      value = cborX.decode(input);
    } catch {
      return 'cbor-x-error';
    }
    try {
      validatePrimitive(value);
      return 'ok';
    } catch {
      return 'PRIMITIVE_INVALID';
    }
  }
  try {
    if (target === 'senml') {
      // SenML inside `con` reaches the agent as text; a command parser never throws.
      return parseCommand(Buffer.from(input).toString('utf8')) === undefined ? 'not-a-command' : 'ok';
    }
    const codec = codecFor(target);
    codec.decode(codec.frame === 'text' ? Buffer.from(input).toString('utf8') : input);
    return 'ok';
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && /^(CODEC|PRIMITIVE)_/.test(code) && target !== 'senml') return code;
    throw err;
  }
}

export async function runJob(job: FuzzJob, send: (m: ChildMessage) => void): Promise<FuzzChildResult> {
  const outcomes: Record<string, number> = {};
  const failures: (FuzzInputRef & { error: string })[] = [];
  const overBudget: (FuzzInputRef & { ms: number })[] = [];
  let slowest = { index: -1, hex: '', ms: 0 };
  const total = job.inputs?.length ?? job.count;
  const inputAt = (k: number): Uint8Array =>
    job.inputs ? Buffer.from(job.inputs[k] ?? '', 'hex') : fuzzInput(job.target, job.seed, job.start + k);
  const heapBeforeBytes = heapAfterGc();
  const rssBeforeBytes = process.memoryUsage.rss();
  let rssMaxBytes = rssBeforeBytes;
  const t0 = performance.now();
  for (let k = 0; k < total; k++) {
    if (k % job.progressEvery === 0) {
      send({ kind: 'progress', next: job.start + k });
      await yieldToLoop(); // lets the message go out now, not when the run ends
      rssMaxBytes = Math.max(rssMaxBytes, process.memoryUsage.rss());
    }
    const index = job.start + k;
    const input = inputAt(k);
    const t = performance.now();
    let outcome: string;
    try {
      outcome = decodeOnce(job.target, input);
    } catch (err) {
      outcome = 'FAILURE';
      if (failures.length < 20)
        failures.push({
          index,
          hex: preview(input),
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
    }
    const ms = performance.now() - t;
    outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    if (ms > slowest.ms) {
      // One slow run may be the machine (GC, another process); a slow input is slow every time,
      // so the slowest input and the budget are judged on the best of three more runs.
      const best = ms > 2 ? bestOf(job.target, input, ms, 0) : ms;
      if (best > slowest.ms) slowest = { index, hex: preview(input), ms: best };
    }
    if (ms > job.budgetMs) {
      const best = bestOf(job.target, input, ms, job.budgetMs);
      if (best > job.budgetMs && overBudget.length < 20)
        overBudget.push({ index, hex: preview(input), ms: best });
    }
  }
  const elapsedMs = performance.now() - t0;
  const rssAfterBytes = process.memoryUsage.rss();
  return {
    inputs: total,
    elapsedMs,
    outcomes,
    slowest,
    overBudget,
    failures,
    rssBeforeBytes,
    rssAfterBytes,
    rssMaxBytes: Math.max(rssMaxBytes, rssAfterBytes),
    heapBeforeBytes,
    heapAfterBytes: heapAfterGc(),
  };
}

/** The best of up to three more timings of `input` (stops early once at or under `enoughMs`). */
function bestOf(target: FuzzTarget, input: Uint8Array, firstMs: number, enoughMs: number): number {
  let best = firstMs;
  for (let again = 0; again < 3 && best > enoughMs; again++) {
    const t2 = performance.now();
    try {
      decodeOnce(target, input);
    } catch {
      // classified by the first run
    }
    best = Math.min(best, performance.now() - t2);
  }
  return best;
}

/** Heap in use after a full GC (the child runs with --expose-gc), else as it is. */
function heapAfterGc(): number {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage().heapUsed;
}

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

// Run as a child: one job per process, from the parent's first message.
if (process.send !== undefined) {
  const send = (m: ChildMessage): void => {
    process.send?.(m);
  };
  process.once('message', (job: FuzzJob) => {
    void runJob(job, send).then((result) => {
      process.send?.({ kind: 'done', result } satisfies ChildMessage, () => {
        process.disconnect();
      });
    });
  });
}
