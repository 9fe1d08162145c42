/**
 * Inputs the fuzz runs found (test/fixtures/fuzz/<target>.hex), decoded in a watched child
 * process, so that one that hangs again fails the test (killed, named) instead of freezing the
 * test run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runFuzz } from '../../scripts/bench/fuzz/run.js';
import { FUZZ_TARGETS } from '../../scripts/bench/fuzz/inputs.js';

function fixturesDir(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, 'test', 'fixtures'))) return join(dir, 'test', 'fixtures', 'fuzz');
  throw new Error('test/fixtures not found');
}

for (const target of FUZZ_TARGETS) {
  const file = join(fixturesDir(), `${target}.hex`);
  if (!existsSync(file)) continue;
  const inputs = readFileSync(file, 'utf8')
    .split('\n')
    .map((l) => l.replace(/#.*/, '').trim())
    .filter((l) => l !== '');
  test(`fuzz regressions ${target}: ${inputs.length} inputs found earlier are refused by name, promptly`, async () => {
    const r = await runFuzz({ target, seed: 0, count: 0, inputs, stallMs: 5000 });
    assert.equal(r.hang, undefined, `hung on fixture #${r.hang?.index}: ${r.hang?.hex}`);
    assert.deepEqual(r.failures, []);
    assert.deepEqual(r.overBudget, []);
    assert.equal(r.inputs, inputs.length);
  });
}
