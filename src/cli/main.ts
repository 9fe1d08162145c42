#!/usr/bin/env node
/** `m2m-agent`: the command-line entry point. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { formatOptions, parseArgs, UsageError } from './args.js';
import { EXIT_USAGE, type Command } from './command.js';
import { PACKAGE_ROOT } from './paths.js';
import { describeError } from '../util/errors.js';
import { redactSecrets } from '../util/redact.js';

/**
 * Commands are imported on demand: `run` on a Pi Zero should not load the development
 * registrar and the demo (about 5 MB of memory it would never use).
 */
const COMMANDS: readonly { readonly name: string; readonly load: () => Promise<Command> }[] = [
  { name: 'run', load: async () => (await import('./run.js')).runCommand },
  { name: 'check', load: async () => (await import('./check.js')).checkCommand },
  { name: 'status', load: async () => (await import('./status.js')).statusCommand },
  { name: 'demo', load: async () => (await import('./demo.js')).demoCommand },
  { name: 'registrar', load: async () => (await import('./registrar.js')).registrarCommand },
  { name: 'deregister', load: async () => (await import('./deregister.js')).deregisterCommand },
];

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string })
      .version;
  } catch {
    return 'unknown';
  }
}

async function help(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((c) => c.load()));
  return [
    'm2m-agent: oneM2M device agent (ADN-AE / ASN-CSE) over the WebSocket binding',
    '',
    'usage: m2m-agent <command> [options]',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(12)} ${c.summary}`),
    '',
    'Run `m2m-agent <command> --help` for its options.',
  ].join('\n');
}

async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write((await help()) + '\n');
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(version() + '\n');
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(`m2m-agent: unknown command "${name}"\n\n${await help()}\n`);
    return EXIT_USAGE;
  }
  const cmd = await entry.load();
  const specs = [...cmd.options, { name: 'help', short: 'h', help: 'show this help' }];
  try {
    const { options, positionals } = parseArgs(rest, specs);
    if (options.help === true) {
      process.stdout.write(`usage: ${cmd.usage}\n\n${cmd.summary}\n\n${formatOptions(specs)}\n`);
      return 0;
    }
    return await cmd.run(options, positionals);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`m2m-agent ${cmd.name}: ${err.message}\nusage: ${cmd.usage}\n`);
      return EXIT_USAGE;
    }
    process.stderr.write(`m2m-agent ${cmd.name}: ${describeError(err)}\n`);
    return 1;
  }
}

// `m2m-agent demo | head`: a reader that went away is no error worth a stack trace. Stop as on
// Ctrl-C (run and demo clean up after themselves), or at once if nothing is running.
let readerGone = false;
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  if (readerGone) return;
  readerGone = true;
  if (process.listenerCount('SIGINT') > 0) process.emit('SIGINT', 'SIGINT');
  else process.exit(0);
});

// A crash prints the error as Node would, but masked: a library error may embed the registrar URL
// with its credentials, and the journal is readable by more people than the configuration.
process.on('uncaughtException', (err: unknown) => {
  process.stderr.write(redactSecrets(`m2m-agent: uncaught ${inspect(err)}\n`));
  process.exit(1);
});

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`m2m-agent: ${describeError(err)}\n`);
    process.exitCode = 1;
  },
);
