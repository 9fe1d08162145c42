import { AgentError } from '../util/errors.js';

/** Nothing more can be buffered: the bound or the disk is reached and no lower-priority entry is left to evict. */
export class OutboxFullError extends AgentError {
  override readonly name = 'OutboxFullError';
  constructor(message: string, cause?: unknown) {
    super('OUTBOX_FULL', message, {
      retryable: true,
      hint: 'the registrar has been unreachable for long: raise buffer.maxBytes, free disk space, or check the link',
      cause,
    });
  }
}

/** The store's filesystem refused a write for lack of space (ENOSPC, EDQUOT). */
export class OutboxNoSpaceError extends AgentError {
  override readonly name = 'OutboxNoSpaceError';
  constructor(message: string, cause?: unknown) {
    super('OUTBOX_NO_SPACE', message, {
      retryable: true,
      hint: 'the state directory filesystem is full: free space or lower buffer.maxBytes',
      cause,
    });
  }
}

/** The state directory cannot be created or written; found at open, before anything is buffered. */
export class OutboxDirError extends AgentError {
  override readonly name = 'OutboxDirError';
  constructor(
    readonly dir: string,
    cause?: unknown,
  ) {
    super('OUTBOX_DIR_UNWRITABLE', `outbox directory ${dir} is not writable: ${errMessage(cause)}`, {
      hint: 'check stateDir in the configuration and that the service user owns it (systemd StateDirectory=)',
      cause,
    });
  }
}

/** A read, write or fsync failed for a reason other than lack of space (EIO, EROFS, ...). */
export class OutboxIoError extends AgentError {
  override readonly name = 'OutboxIoError';
  constructor(message: string, cause?: unknown) {
    super('OUTBOX_IO', `${message}: ${errMessage(cause)}`, {
      retryable: true,
      hint: 'the storage device reported an error: check the SD card or disk (dmesg)',
      cause,
    });
  }
}

/** The record cannot be stored at all (stream name or payload too large). */
export class OutboxRecordError extends AgentError {
  override readonly name = 'OutboxRecordError';
  constructor(message: string) {
    super('OUTBOX_RECORD_INVALID', message, { hint: 'this is a bug in the caller: report it' });
  }
}

/** The store was closed; no further operations are accepted. */
export class OutboxClosedError extends AgentError {
  override readonly name = 'OutboxClosedError';
  constructor() {
    super('OUTBOX_CLOSED', 'the outbox store is closed', { hint: 'the agent is shutting down' });
  }
}

/** True for errors that mean "the filesystem is full". */
export function isNoSpace(err: unknown): boolean {
  const code = errCode(err);
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** The `code` of a Node system error, if any. */
export function errCode(err: unknown): string | undefined {
  if (typeof err === 'object' && err !== null) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
