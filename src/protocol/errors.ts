import { AgentError } from '../util/errors.js';

/** A decoded message is not a valid oneM2M primitive (wrong shape or parameter types). */
export class PrimitiveInvalidError extends AgentError {
  override readonly name = 'PrimitiveInvalidError';
  constructor(
    message: string,
    /** The request identifier, when one could be recovered (so a 4000 response can be sent). */
    readonly rqi?: string,
  ) {
    super('PRIMITIVE_INVALID', message, { hint: 'the peer sent a primitive that breaks TS-0004 clause 6.4' });
  }
}
