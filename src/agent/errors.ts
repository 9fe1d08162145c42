import { AgentError } from '../util/errors.js';
import { rscLabel } from '../protocol/codes.js';

/** The registrar refused our registration. */
export class RegistrationError extends AgentError {
  override readonly name = 'RegistrationError';
  constructor(
    readonly rsc: number,
    detail: string,
    hint = 'check node.name, node.appId and node.originator against the registrar',
  ) {
    super('REGISTRATION_REFUSED', `registration refused: ${rscLabel(rsc)}${detail ? ` (${detail})` : ''}`, {
      retryable: rsc >= 5000,
      hint,
    });
  }
}

/** Creating one of our containers or subscriptions failed. */
export class ResourceSetupError extends AgentError {
  override readonly name = 'ResourceSetupError';
  constructor(path: string, rsc: number, detail: string) {
    super(
      'RESOURCE_SETUP_FAILED',
      `creating ${path} failed: ${rscLabel(rsc)}${detail ? ` (${detail})` : ''}`,
      {
        retryable: true,
        hint: 'the registrar refused a container or subscription; check its access control policies',
      },
    );
  }
}

/** A pending upload in the outbox could not be decoded (written by an incompatible version?). */
export class PendingUploadCorruptError extends AgentError {
  override readonly name = 'PendingUploadCorruptError';
  constructor(message: string) {
    super('PENDING_UPLOAD_CORRUPT', message, { hint: 'the record is quarantined; nothing else is affected' });
  }
}
