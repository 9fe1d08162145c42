/** Named errors of the configuration layer. */
import { AgentError } from '../util/errors.js';
import type { Issue } from '../util/issues.js';

/** The configuration or a device model file is invalid; `issues` lists every problem at once. */
export class ConfigError extends AgentError {
  override readonly name = 'ConfigError';
  constructor(
    readonly issues: readonly Issue[],
    /** The file that was being loaded. */
    readonly source?: string,
  ) {
    const where = source === undefined ? 'configuration' : source;
    const first = issues[0];
    const summary =
      first === undefined ? '' : `: ${first.path === '' ? '' : `${first.path}: `}${first.message}`;
    super('CONFIG_INVALID', `${where}: ${issues.length} problem${issues.length === 1 ? '' : 's'}${summary}`, {
      hint: 'run `m2m-agent check -c FILE` to list every problem with its key path',
    });
  }
}
