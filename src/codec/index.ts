/** Codecs looked up by serialization or by WebSocket subprotocol name. */
import type { Codec } from './codec.js';
import { cborCodec } from './cbor.js';
import { jsonCodec } from './json.js';
import { xmlCodec } from './xml.js';
import { UnknownSubprotocolError } from './errors.js';
import { serializationOf, type Serialization } from './subprotocol.js';

export type { Codec } from './codec.js';
export * from './subprotocol.js';
export * from './errors.js';
export { jsonCodec, cborCodec, xmlCodec };

const CODECS: Readonly<Record<Serialization, Codec>> = { json: jsonCodec, cbor: cborCodec, xml: xmlCodec };

export function codecFor(s: Serialization): Codec {
  return CODECS[s];
}

/** The codec of a subprotocol name (current or Release-2 spelling); throws `UnknownSubprotocolError`. */
export function codecForSubprotocol(name: string): Codec {
  const s = serializationOf(name);
  if (!s) throw new UnknownSubprotocolError(name);
  return CODECS[s];
}
