import { redactSecrets } from './redact.js';

/** Base class of every error the agent raises: a stable `code` for tests and logs, a hint for the operator. */
export class AgentError extends Error {
  override readonly name: string = 'AgentError';
  constructor(
    /** Stable, SCREAMING_SNAKE code; match on this, never on the message. */
    readonly code: string,
    message: string,
    readonly options: { retryable?: boolean; hint?: string; cause?: unknown } = {},
  ) {
    // Messages may embed a URL with credentials (a library error, a config value): never in clear.
    super(redactSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
  }
  /** True when trying again later may succeed (link down, timeout), false for permanent faults. */
  get retryable(): boolean {
    return this.options.retryable ?? false;
  }
  /** One short sentence telling the operator what to do. */
  get hint(): string | undefined {
    return this.options.hint;
  }
}

/** Turns anything thrown into a message fit for a log line. */
export function describeError(err: unknown): string {
  if (err instanceof AgentError)
    return redactSecrets(`${err.code}: ${err.message}${err.hint ? ` (${err.hint})` : ''}`);
  if (err instanceof Error) return redactSecrets(err.message);
  return redactSecrets(String(err));
}
