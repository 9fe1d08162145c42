/**
 * WebSocket subprotocol names of the oneM2M binding (TS-0020 clause 6). The Release-2 names
 * (`oneM2M.R2.0.json`, IANA-registered) mean the same serializations as the current ones.
 */
export type Serialization = 'json' | 'cbor' | 'xml';
export const SERIALIZATIONS: readonly Serialization[] = ['cbor', 'json', 'xml'];

export function isSerialization(s: unknown): s is Serialization {
  return s === 'json' || s === 'cbor' || s === 'xml';
}

/** The current subprotocol name of a serialization. */
export function subprotocolName(s: Serialization): string {
  return `oneM2M.${s}`;
}

/** The Release-2 subprotocol name of a serialization. */
export function legacySubprotocolName(s: Serialization): string {
  return `oneM2M.R2.0.${s}`;
}

/**
 * The serialization a subprotocol name stands for, or undefined. Matching ignores case, because
 * deployed clients and servers spell it `onem2m.r2.0.json` as well (Mobius).
 */
export function serializationOf(name: string): Serialization | undefined {
  const m = /^onem2m\.(?:r2\.0\.)?(json|cbor|xml)$/i.exec(name.trim());
  const s = m?.[1]?.toLowerCase();
  return isSerialization(s) ? s : undefined;
}

/** The frame type that carries a serialization: CBOR binary (opcode 2), JSON/XML text (opcode 1). */
export function frameTypeOf(s: Serialization): 'text' | 'binary' {
  return s === 'cbor' ? 'binary' : 'text';
}

/** The media type of a serialization, as used in `csz`. */
export function mediaTypeOf(s: Serialization): string {
  return s === 'cbor' ? 'application/cbor' : s === 'xml' ? 'application/xml' : 'application/json';
}
