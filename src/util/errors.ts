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

/** Code, hint and retryability of an error class whose instances differ only in message and cause. */
export interface ErrorKind {
  readonly code: string;
  readonly hint: string;
  readonly retryable?: boolean;
}

/**
 * Base for an error class with a fixed code and hint, constructed with `(message, cause?)`:
 * `class OutboxFullError extends errorKind({ code: 'OUTBOX_FULL', hint: '…' }) { override
 * readonly name = 'OutboxFullError'; }`. `base` is the layer's own base class where it has one.
 */
export function errorKind(
  kind: ErrorKind,
  base: typeof AgentError = AgentError,
): new (message: string, cause?: unknown) => AgentError {
  return class extends base {
    constructor(message: string, cause?: unknown) {
      super(kind.code, message, { retryable: kind.retryable, hint: kind.hint, cause });
    }
  };
}

/** The message of anything thrown (not redacted: for messages that go through `AgentError`). */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The `code` of a Node system error (`ENOENT`) or of a library error that has one, if any. */
export function errCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}
