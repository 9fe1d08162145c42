#!/usr/bin/env node
// Runs every test/**/*.test.ts with node's own runner, loading TypeScript through tsx so tests
// find their fixtures beside them (the type check is `tsc`'s job, run before this by npm test).
// Node 20 does not expand globs, so the files are listed here; the spec reporter's closing
// summary is what CI reads.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const root = 'test';
const only = process.argv.slice(2);
const files = [];
(function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p);
    else if (name.endsWith('.test.ts') && (only.length === 0 || only.some((o) => p.includes(o))))
      files.push(p);
  }
})(root);
if (files.length === 0) {
  console.error(`no test files found under ${root} `);
  process.exit(1);
}
const res = spawnSync(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    // Per test file too: the full-disk test drains thousands of readings, which takes minutes on a
    // loaded 2-core machine; a hung test still ends.
    '--test-timeout=300000',
    '--test-concurrency=2',
    ...files,
  ],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
