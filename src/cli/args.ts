/**
 * Command-line options through `node:util` `parseArgs`: `--flag`, `--key value`, `--key=value`,
 * `-c FILE`; unknown options are usage errors.
 */
import { parseArgs as parseArgv, type ParseArgsConfig } from 'node:util';
import { AgentError } from '../util/errors.js';

export class UsageError extends AgentError {
  override readonly name = 'UsageError';
  constructor(message: string) {
    super('CLI_USAGE', message, { hint: 'see `m2m-agent --help`' });
  }
}

export interface OptionSpec {
  /** Long name without dashes. */
  readonly name: string;
  readonly short?: string;
  /** Takes a value (otherwise a boolean flag). */
  readonly value?: boolean;
  readonly help: string;
}

export interface ParsedArgs {
  readonly options: Readonly<Record<string, string | boolean>>;
  readonly positionals: readonly string[];
}

type OptionToken = Extract<NonNullable<ReturnType<typeof parseArgv>['tokens']>[number], { kind: 'option' }>;

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  // Not strict: node's own errors neither name the option in a stable way nor reject only `--x`
  // as a missing value (`--config -` is a file name here), so the tokens are checked below.
  const { tokens, positionals } = parseArgv({
    args: [...argv],
    options: toNodeOptions(specs),
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const options: Record<string, string | boolean> = {};
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    const spec = specs.find((s) => s.name === token.name);
    if (!spec) throw new UsageError(`unknown option ${spelledAsGiven(token)}`);
    options[spec.name] = optionValue(spec, token);
  }
  return { options, positionals };
}

function toNodeOptions(specs: readonly OptionSpec[]): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    specs.map((s) => [
      s.name,
      s.short === undefined
        ? { type: s.value ? 'string' : 'boolean' }
        : { type: s.value ? 'string' : 'boolean', short: s.short },
    ]),
  );
}

function optionValue(spec: OptionSpec, token: OptionToken): string | boolean {
  if (!spec.value) {
    if (token.inlineValue === true) throw new UsageError(`option --${spec.name} takes no value`);
    return true;
  }
  // `--config --json`: the next word is another option, not this one's value.
  if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--')))
    throw new UsageError(`option --${spec.name} needs a value`);
  return token.value;
}

function spelledAsGiven(token: OptionToken): string {
  return token.inlineValue === true ? `${token.rawName}=${token.value ?? ''}` : token.rawName;
}

export function formatOptions(specs: readonly OptionSpec[]): string {
  return specs
    .map((s) => {
      const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ' VALUE' : ''}`;
      return `  ${flag.padEnd(28)} ${s.help}`;
    })
    .join('\n');
}
