import type { OptionSpec } from './args.js';

/** One `m2m-agent` sub-command. `run` resolves with the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  readonly options: readonly OptionSpec[];
  run(options: Readonly<Record<string, string | boolean>>, positionals: readonly string[]): Promise<number>;
}

/** Exit codes: 0 ok, 1 bad configuration or failed check, 2 usage error. */
export const EXIT_OK = 0;
export const EXIT_CONFIG = 1;
export const EXIT_USAGE = 2;

export const CONFIG_OPTION: OptionSpec = {
  name: 'config',
  short: 'c',
  value: true,
  help: 'configuration file (default /etc/m2m-agent/config.json or $M2M_AGENT_CONFIG)',
};
export const LOG_LEVEL_OPTION: OptionSpec = {
  name: 'log-level',
  value: true,
  help: 'debug | info | warn | error',
};
