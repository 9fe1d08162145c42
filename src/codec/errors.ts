import { AgentError } from '../util/errors.js';

/** Bytes or text that do not decode as a primitive of the negotiated serialization. */
export class CodecMalformedError extends AgentError {
  override readonly name = 'CodecMalformedError';
  constructor(
    readonly serialization: string,
    message: string,
    /** The request identifier, when it could be recovered from the broken message. */
    readonly rqi?: string,
    cause?: unknown,
  ) {
    super('CODEC_MALFORMED', `${serialization}: ${message}`, {
      hint: 'the peer sent a message that is not a valid oneM2M primitive in this serialization',
      cause,
    });
  }
}

/** A subprotocol name the agent has no codec for. */
export class UnknownSubprotocolError extends AgentError {
  override readonly name = 'UnknownSubprotocolError';
  constructor(readonly subprotocol: string) {
    super('CODEC_UNKNOWN_SUBPROTOCOL', `no codec for subprotocol "${subprotocol}"`, {
      hint: 'use oneM2M.json, oneM2M.cbor or oneM2M.xml (or their oneM2M.R2.0.* names)',
    });
  }
}

/**
 * A message that is well-formed so far but larger than the decoder accepts: nested deeper than
 * `DECODE_LIMITS.maxDepth` or holding more than `DECODE_LIMITS.maxItems` values.
 */
export class CodecLimitError extends AgentError {
  override readonly name = 'CodecLimitError';
  constructor(
    readonly serialization: string,
    message: string,
    readonly rqi?: string,
  ) {
    super('CODEC_LIMIT_EXCEEDED', `${serialization}: ${message}`, {
      hint: 'the peer sent a message nested too deeply or with too many values; no oneM2M primitive needs that',
    });
  }
}
