/**
 * CBOR serialization (TS-0004 8.4): the JSON data model with string keys, plain RFC 8949 CBOR.
 * Encoding uses cbor-x, configured so that nothing but standard major types goes on the wire (no
 * record or structure extensions, no shared structures), because registrars decode with other
 * libraries (ACME uses Python's cbor2). Decoding uses our strict, bounded `decodeCbor`, never
 * cbor-x: see cbor-decode.ts for why.
 */
import { Encoder } from 'cbor-x';
import { validatePrimitive } from '../protocol/validate.js';
import type { Primitive } from '../protocol/primitive.js';
import type { Codec } from './codec.js';
import { decodeCbor } from './cbor-decode.js';
import { CodecMalformedError } from './errors.js';

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
});

export const cborCodec: Codec = {
  serialization: 'cbor',
  frame: 'binary',
  mediaType: 'application/cbor',
  encode(p: Primitive): Uint8Array {
    // `undefined` members would go out as 0xf7; drop them (copying only when there are any).
    return encoder.encode(hasUndefined(p) ? (JSON.parse(JSON.stringify(p)) as unknown) : p);
  },
  decode(data: string | Uint8Array): Primitive {
    if (typeof data === 'string')
      throw new CodecMalformedError('cbor', 'a CBOR primitive must arrive as bytes');
    if (data.length === 0) throw new CodecMalformedError('cbor', 'empty message');
    return validatePrimitive(decodeCbor(data));
  },
};

function hasUndefined(v: unknown): boolean {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.some(hasUndefined);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array))
    return Object.values(v).some(hasUndefined);
  return false;
}
