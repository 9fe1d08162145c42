import type { Primitive } from '../protocol/primitive.js';
import type { Serialization } from './subprotocol.js';

/** One serialization of primitives (TS-0004 clause 8). Pure: no sockets, timers or files. */
export interface Codec {
  readonly serialization: Serialization;
  /** The frame type that carries it on the WebSocket binding. */
  readonly frame: 'text' | 'binary';
  /** The media type, as in `csz`. */
  readonly mediaType: string;
  /** Encodes a primitive: a string for text codecs, bytes for binary ones. */
  encode(p: Primitive): string | Uint8Array;
  /** Decodes and validates; throws `CodecMalformedError` or `PrimitiveInvalidError`. */
  decode(data: string | Uint8Array): Primitive;
}
