/** The option parser's contract, which `node:util` `parseArgs` now carries out. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseArgs, UsageError, type OptionSpec } from '../../src/cli/args.js';

const SPECS: readonly OptionSpec[] = [
  { name: 'config', short: 'c', value: true, help: 'file' },
  { name: 'json', help: 'flag' },
  { name: 'help', short: 'h', help: 'help' },
];

function usageMessage(argv: readonly string[]): string {
  try {
    parseArgs(argv, SPECS);
  } catch (err) {
    assert.ok(err instanceof UsageError);
    assert.equal(err.code, 'CLI_USAGE');
    return err.message;
  }
  assert.fail(`no usage error for ${argv.join(' ')}`);
}

test('values come as --key value, --key=value or -k value; flags are true', () => {
  assert.deepEqual(parseArgs(['--config', 'a.json', '--json'], SPECS).options, {
    config: 'a.json',
    json: true,
  });
  assert.deepEqual(parseArgs(['--config=b.json'], SPECS).options, { config: 'b.json' });
  assert.deepEqual(parseArgs(['-c', 'c.json'], SPECS).options, { config: 'c.json' });
});

test('a value may start with one dash; words after -- are positionals', () => {
  assert.deepEqual(parseArgs(['-c', '-'], SPECS).options, { config: '-' });
  const parsed = parseArgs(['one', '--', '--json', 'two'], SPECS);
  assert.deepEqual(parsed.positionals, ['one', '--json', 'two']);
  assert.deepEqual(parsed.options, {});
});

test('unknown options, missing values and values on flags are usage errors naming the option', () => {
  assert.equal(usageMessage(['--frobnicate']), 'unknown option --frobnicate');
  assert.equal(usageMessage(['--frob=3']), 'unknown option --frob=3');
  assert.equal(usageMessage(['-x']), 'unknown option -x');
  assert.equal(usageMessage(['-c']), 'option --config needs a value');
  assert.equal(usageMessage(['--config', '--json']), 'option --config needs a value');
  assert.equal(usageMessage(['--json=yes']), 'option --json takes no value');
});
