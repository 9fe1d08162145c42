/**
 * Subprotocol negotiation (TS-0020 clause 6; RFC 6455 4.1): building the offer and checking the
 * server's choice. The offer goes out as one comma-separated `Sec-WebSocket-Protocol` header in
 * preference order; the server must select exactly one offered name.
 */
import {
  codecForSubprotocol,
  serializationOf,
  subprotocolName,
  type Codec,
  type Serialization,
} from '../../codec/index.js';
import { WsNoSubprotocolError, WsOptionsError, WsSubprotocolRejectedError } from './errors.js';

/** RFC 6455 4.1: a subprotocol is an HTTP token (RFC 7230 tchar). */
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`|a-z~]+$/;

/**
 * The names to offer, in preference order: `offer` verbatim when given, else `oneM2M.<s>` per
 * serialization. Throws `WsOptionsError` for an empty offer, a duplicate, or a name without codec.
 */
export function buildOffer(serializations: readonly Serialization[], offer?: readonly string[]): string[] {
  const names = offer !== undefined ? [...offer] : serializations.map(subprotocolName);
  if (names.length === 0) {
    // TS-0020 6: the Sec-WebSocket-Protocol header is mandatory.
    throw new WsOptionsError('no subprotocol to offer: give at least one serialization');
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (!TOKEN.test(name)) throw new WsOptionsError(`"${name}" is not a valid subprotocol token`);
    if (serializationOf(name) === undefined)
      throw new WsOptionsError(`no codec for offered subprotocol "${name}"`);
    if (seen.has(name)) throw new WsOptionsError(`subprotocol "${name}" is offered twice`);
    seen.add(name);
  }
  return names;
}

/** The value of the one `Sec-WebSocket-Protocol` request header (as `ws` writes it). */
export function offerHeader(names: readonly string[]): string {
  return names.join(',');
}

/**
 * Checks the server's `Sec-WebSocket-Protocol` reply against the offer and returns the codec.
 * Exact match only: a server must echo one of the offered names (RFC 6455 4.1).
 */
export function checkSelection(offered: readonly string[], selected: string | undefined): Codec {
  if (selected === undefined || selected === '') throw new WsNoSubprotocolError(offered);
  if (!offered.includes(selected)) throw new WsSubprotocolRejectedError(offered, selected);
  return codecForSubprotocol(selected);
}
