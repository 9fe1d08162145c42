/** Errors of the CSE layer: request failures that become a response status, and registrar start-up faults. */
import { rscLabel } from '../protocol/codes.js';
import { AgentError } from '../util/errors.js';

/**
 * A request the CSE refuses: carries the response status code and the `m2m:dbg` text. Thrown
 * inside handlers and turned into an error response by `Cse.handle`; it never leaves the CSE.
 */
export class RequestRefusedError extends AgentError {
  override readonly name = 'RequestRefusedError';
  constructor(
    /** Response status code (`rsc`) to answer with. */
    readonly rsc: number,
    message: string,
  ) {
    super('CSE_REQUEST_REFUSED', message, { hint: `the request was answered ${rscLabel(rsc)}` });
  }
}

/** Shorthand for throwing a refusal: `throw refuse(Rsc.BAD_REQUEST, 'why')`. */
export function refuse(rsc: number, message: string): RequestRefusedError {
  return new RequestRefusedError(rsc, message);
}

/** The development registrar could not start (port in use, unreadable certificate, bad options). */
export class RegistrarStartError extends AgentError {
  override readonly name = 'RegistrarStartError';
  constructor(message: string, cause?: unknown) {
    super('REGISTRAR_START_FAILED', message, {
      hint: 'pick another --port (0 picks a free one) or check the TLS certificate and key',
      cause,
    });
  }
}
