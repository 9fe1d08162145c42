#!/usr/bin/env node
// `npm run test:interop`: the interop suite (test/interop/*.interop.ts) against a real ACME CSE,
// the bundle at ../shared/acme or $ACME_BUNDLE. Files run one after another: each starts its own
// ACME instances, and two at once would compete for the 2 cores CI has. Without the bundle every
// test reports that it skipped and why. Arguments filter the files by path substring.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const dir = join('test', 'interop');
const only = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((n) => n.endsWith('.interop.ts'))
  .map((n) => join(dir, n))
  .filter((p) => only.length === 0 || only.some((o) => p.includes(o)))
  .sort();
if (files.length === 0) {
  console.error(`no interop test files found under ${dir}`);
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-timeout=240000',
    '--test-concurrency=1',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
