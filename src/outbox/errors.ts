import { AgentError, errCode, errorKind, messageOf } from '../util/errors.js';

export { errCode };

/** Nothing more can be buffered: the bound or the disk is reached and no lower-priority entry is left to evict. */
export class OutboxFullError extends errorKind({
  code: 'OUTBOX_FULL',
  retryable: true,
  hint: 'the registrar has been unreachable for long: raise buffer.maxBytes, free disk space, or check the link',
}) {
  override readonly name = 'OutboxFullError';
}

/** The store's filesystem refused a write for lack of space (ENOSPC, EDQUOT). */
export class OutboxNoSpaceError extends errorKind({
  code: 'OUTBOX_NO_SPACE',
  retryable: true,
  hint: 'the state directory filesystem is full: free space or lower buffer.maxBytes',
}) {
  override readonly name = 'OutboxNoSpaceError';
}

/** The state directory cannot be created or written; found at open, before anything is buffered. */
export class OutboxDirError extends AgentError {
  override readonly name = 'OutboxDirError';
  constructor(
    readonly dir: string,
    cause?: unknown,
  ) {
    super('OUTBOX_DIR_UNWRITABLE', `outbox directory ${dir} is not writable: ${messageOf(cause)}`, {
      hint: 'check stateDir in the configuration and that the service user owns it (systemd StateDirectory=)',
      cause,
    });
  }
}

/** A read, write or fsync failed for a reason other than lack of space (EIO, EROFS, ...). */
export class OutboxIoError extends AgentError {
  override readonly name = 'OutboxIoError';
  constructor(message: string, cause?: unknown) {
    super('OUTBOX_IO', `${message}: ${messageOf(cause)}`, {
      retryable: true,
      hint: 'the storage device reported an error: check the SD card or disk (dmesg)',
      cause,
    });
  }
}

/** The record cannot be stored at all (stream name or payload too large). */
export class OutboxRecordError extends errorKind({
  code: 'OUTBOX_RECORD_INVALID',
  hint: 'this is a bug in the caller: report it',
}) {
  override readonly name = 'OutboxRecordError';
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

/** Maps a filesystem error to the store's named errors (`OUTBOX_NO_SPACE`, `OUTBOX_IO`). */
export function mapError(what: string, err: unknown): Error {
  if (err instanceof OutboxClosedError || err instanceof OutboxNoSpaceError || err instanceof OutboxIoError) {
    return err;
  }
  if (isNoSpace(err)) return new OutboxNoSpaceError(`no space left ${what}`, err);
  return new OutboxIoError(what, err);
}
