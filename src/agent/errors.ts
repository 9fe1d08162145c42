import { AgentError } from '../util/errors.js';
import { Rsc, rscLabel } from '../protocol/codes.js';
import type { ResponsePrimitive } from '../protocol/primitive.js';

/** A 5xxx status: the registrar failed on its side (its `dbg` says how); nothing in our request is wrong. */
export function isRegistrarFailure(rsc: number): boolean {
  return rsc >= 5000 && rsc < 6000;
}

const REGISTRAR_FAILED_HINT =
  "the registrar failed on its side, not because of this configuration: see the registrar's log; retried with backoff";

/** What a refusal of our registration tells the operator unless the status says more. */
const REGISTRATION_REFUSED_HINT = 'check node.name, node.appId and node.originator against the registrar';

/** `4004 NOT_FOUND (dbg text)`: a status with the registrar's own words, when it gave any. */
function statusWithDetail(rsc: number, detail: string): string {
  return `${rscLabel(rsc)}${detail ? ` (${detail})` : ''}`;
}

/**
 * The registrar refused our registration (`REGISTRATION_REFUSED`), or failed while handling it
 * (5xxx: `REGISTRAR_FAILED`, retryable, and the hint does not point at our configuration).
 */
export class RegistrationError extends AgentError {
  override readonly name = 'RegistrationError';
  /** `hint` replaces the default one for a refusal (a 5xxx has its own); `retryable` marks a refusal that may pass later. */
  constructor(
    readonly rsc: number,
    detail: string,
    hint?: string,
    retryable = false,
  ) {
    const failed = isRegistrarFailure(rsc);
    super(
      failed ? 'REGISTRAR_FAILED' : 'REGISTRATION_REFUSED',
      `${failed ? 'the registrar failed on our registration' : 'registration refused'}: ${statusWithDetail(rsc, detail)}`,
      {
        retryable: failed || retryable,
        hint: failed ? REGISTRAR_FAILED_HINT : (hint ?? REGISTRATION_REFUSED_HINT),
      },
    );
  }

  /** The error for a refused `<AE>` (`ae`) or `<remoteCSE>` (`csr`) CREATE, with the hint that fits its status. */
  static refused(rsp: ResponsePrimitive, kind: 'ae' | 'csr', cseId = ''): RegistrationError {
    const d = rsp.pc?.['m2m:dbg'];
    const detail = typeof d === 'string' ? d : '';
    // The CSEBase we register under is not there: a registrar still starting (ACME serves its
    // WebSocket before its CSEBase exists) or a wrong registrar.cseName. Retried either way.
    if (rsp.rsc === Rsc.NOT_FOUND)
      return new RegistrationError(
        rsp.rsc,
        detail,
        'the registrar does not serve the CSEBase we register under (yet): retried; if it persists, compare registrar.cseName with the registrar',
        true,
      );
    if (kind === 'csr' && rsp.rsc === Rsc.ORIGINATOR_HAS_NO_PRIVILEGE)
      return new RegistrationError(
        rsp.rsc,
        detail,
        `the registrar does not let CSE-ID ${cseId} register: its operator must allow it (ACME: add ${cseId} to [cse.registration] allowedCSROriginators in acme.ini)`,
      );
    if (kind === 'csr')
      return new RegistrationError(rsp.rsc, detail, 'check node.cseId and node.name against the registrar');
    return new RegistrationError(rsp.rsc, detail);
  }
}

/** Creating one of our containers or subscriptions failed. */
export class ResourceSetupError extends AgentError {
  override readonly name = 'ResourceSetupError';
  constructor(path: string, rsc: number, detail: string) {
    super('RESOURCE_SETUP_FAILED', `creating ${path} failed: ${statusWithDetail(rsc, detail)}`, {
      retryable: true,
      hint: isRegistrarFailure(rsc)
        ? REGISTRAR_FAILED_HINT
        : 'the registrar refused a container or subscription; check its access control policies',
    });
  }
}

/** A pending upload in the outbox could not be decoded (written by an incompatible version?). */
export class PendingUploadCorruptError extends AgentError {
  override readonly name = 'PendingUploadCorruptError';
  constructor(message: string) {
    super('PENDING_UPLOAD_CORRUPT', message, { hint: 'the record is quarantined; nothing else is affected' });
  }
}
