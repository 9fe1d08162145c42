/** A small argv parser: `--flag`, `--key value`, `--key=value`, `-c FILE`; unknown options are usage errors. */
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

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const options: Record<string, string | boolean> = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    const [rawName, inline] = arg.startsWith('--') ? splitOnce(arg.slice(2)) : [arg.slice(1), undefined];
    const spec = specs.find((s) => (arg.startsWith('--') ? s.name === rawName : s.short === rawName));
    if (!spec) throw new UsageError(`unknown option ${arg}`);
    if (!spec.value) {
      if (inline !== undefined) throw new UsageError(`option --${spec.name} takes no value`);
      options[spec.name] = true;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--')))
      throw new UsageError(`option --${spec.name} needs a value`);
    options[spec.name] = value;
  }
  return { options, positionals };
}

function splitOnce(s: string): [string, string | undefined] {
  const i = s.indexOf('=');
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}

export function formatOptions(specs: readonly OptionSpec[]): string {
  return specs
    .map((s) => {
      const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.name}${s.value ? ' VALUE' : ''}`;
      return `  ${flag.padEnd(28)} ${s.help}`;
    })
    .join('\n');
}
