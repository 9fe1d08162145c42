/**
 * CBOR serialization (TS-0004 8.4): the JSON data model with string keys, plain RFC 8949 CBOR.
 * cbor-x is configured so that nothing but standard major types goes on the wire (no record or
 * structure extensions, no shared structures), because registrars decode with other libraries
 * (ACME uses Python's cbor2).
 */
import { Decoder, Encoder } from 'cbor-x';
import { validatePrimitive } from '../protocol/validate.js';
import type { Primitive } from '../protocol/primitive.js';
import type { Codec } from './codec.js';
import { CodecMalformedError } from './errors.js';

const encoder = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  tagUint8Array: false,
  variableMapSize: true,
});
const decoder = new Decoder({ useRecords: false, mapsAsObjects: true });

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
    let parsed: unknown;
    try {
      parsed = decoder.decode(data);
    } catch (err) {
      throw new CodecMalformedError('cbor', `not CBOR (${(err as Error).message})`, undefined, err);
    }
    return validatePrimitive(hasMap(parsed) ? normalize(parsed) : parsed);
  },
};

function hasUndefined(v: unknown): boolean {
  if (v === undefined) return true;
  if (Array.isArray(v)) return v.some(hasUndefined);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array))
    return Object.values(v).some(hasUndefined);
  return false;
}

function hasMap(v: unknown): boolean {
  if (v instanceof Map) return true;
  if (Array.isArray(v)) return v.some(hasMap);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) return Object.values(v).some(hasMap);
  return false;
}

/** Map objects (non-string keys) become plain objects; anything else passes through. */
function normalize(v: unknown): unknown {
  if (v instanceof Map) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of v) o[String(k)] = normalize(x);
    return o;
  }
  if (Array.isArray(v)) return v.map(normalize);
  if (v !== null && typeof v === 'object' && !(v instanceof Uint8Array)) {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) o[k] = normalize(x);
    return o;
  }
  return v;
}
