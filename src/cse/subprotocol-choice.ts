/**
 * Subprotocol negotiation on the server side of the binding (TS-0020 clause 6, RFC 6455 4.2.2).
 * The offer may come as one comma-separated `Sec-WebSocket-Protocol` header or as several headers;
 * both mean the same list, in preference order, so the raw headers are read in order and split.
 * The chosen name is echoed exactly as offered (legacy `oneM2M.R2.0.*` names included).
 */
import { serializationOf, type Serialization } from '../codec/subprotocol.js';
import type { Quirks } from './quirks.js';

/** Every offered name, in order, from all `Sec-WebSocket-Protocol` headers (Node's `rawHeaders`). */
export function offeredSubprotocols(rawHeaders: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if ((rawHeaders[i] ?? '').toLowerCase() !== 'sec-websocket-protocol') continue;
    for (const name of (rawHeaders[i + 1] ?? '').split(',')) {
      const trimmed = name.trim();
      if (trimmed !== '') out.push(trimmed);
    }
  }
  return out;
}

/** Server preference when every name is served and the server picks: CBOR, JSON, XML. */
const ALL_ORDER: readonly Serialization[] = ['cbor', 'json', 'xml'];

function supported(name: string, served: Quirks['subprotocols']): boolean {
  if (serializationOf(name) === undefined) return false;
  if (served === 'all') return true;
  return served.some((s) => s.toLowerCase() === name.toLowerCase());
}

/**
 * The name to answer with, exactly as the client spelled it, or undefined when nothing offered
 * is acceptable (the handshake is then refused with an HTTP error).
 */
export function chooseSubprotocol(
  offer: readonly string[],
  quirks: Pick<Quirks, 'subprotocols' | 'subprotocolSelection'>,
): string | undefined {
  const served = quirks.subprotocols;
  switch (quirks.subprotocolSelection) {
    case 'client-order':
      return offer.find((name) => supported(name, served));
    case 'first-only': {
      const first = offer[0];
      return first !== undefined && supported(first, served) ? first : undefined;
    }
    case 'server-order': {
      const preference: readonly string[] =
        served === 'all' ? ALL_ORDER.flatMap((s) => [`oneM2M.${s}`, `oneM2M.R2.0.${s}`]) : served;
      for (const wanted of preference) {
        const hit = offer.find((name) => name.toLowerCase() === wanted.toLowerCase());
        if (hit !== undefined) return hit;
      }
      return undefined;
    }
  }
}

/** The names this configuration serves, for error messages and logs. */
export function servedNames(served: Quirks['subprotocols']): string {
  return served === 'all' ? 'oneM2M.json, oneM2M.cbor, oneM2M.xml (or oneM2M.R2.0.*)' : served.join(', ');
}
