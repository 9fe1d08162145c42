/**
 * Seeded fuzz run of every decoder the agent points at outside data (CBOR, JSON, XML, and the
 * SenML command parser for `con`): a fixed set of inputs (the same on every run), each decoded in
 * a watched child process. Every input must give a primitive or a named CODEC_* / PRIMITIVE_*
 * error (the command parser: a command or "not a command"), none may hang (no progress for 10 s:
 * the child is killed and the input named), and none may stay over 250 ms on three re-runs.
 * The long run (1M inputs per codec) is `npm run fuzz`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../../scripts/bench/fuzz/run.js';
import { FUZZ_TARGETS } from '../../scripts/bench/fuzz/inputs.js';

const SEED = 20261204;
const INPUTS = 25_000;

for (const target of FUZZ_TARGETS) {
  test(`fuzz ${target}: ${INPUTS} seeded inputs, every one decoded or refused by name, none hangs`, async (t) => {
    const r = await runFuzz({ target, seed: SEED, count: INPUTS });
    t.diagnostic(
      `${target}: ${r.inputs} inputs in ${Math.round(r.elapsedMs)} ms, slowest ${r.slowest.ms.toFixed(2)} ms (#${r.slowest.index}), outcomes ${JSON.stringify(r.outcomes)}, heap after GC ${r.heapBeforeBytes} -> ${r.heapAfterBytes} bytes`,
    );
    assert.equal(r.hang, undefined, `hung on input #${r.hang?.index}: ${r.hang?.hex}`);
    assert.deepEqual(r.failures, [], 'inputs that threw something other than a named codec error');
    assert.deepEqual(r.overBudget, [], 'inputs slower than 250 ms on every re-run');
    assert.equal(r.inputs, INPUTS);
    // Nothing is kept from one input to the next: the heap after a full GC ends where it began.
    assert.ok(
      r.heapAfterBytes - r.heapBeforeBytes < 8 * 1024 * 1024,
      `heap grew by ${r.heapAfterBytes - r.heapBeforeBytes} bytes`,
    );
  });
}
