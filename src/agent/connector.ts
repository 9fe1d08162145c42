/**
 * How we dial the registrar, given the compat switches (design.md, "Registrars in the field
 * differ"): which subprotocol names to offer, in which order, with which handshake headers.
 */
import type { Connect, Connection, ConnectOptions } from '../binding/ws/types.js';
import {
  legacySubprotocolName,
  mediaTypeOf,
  subprotocolName,
  type Serialization,
} from '../codec/subprotocol.js';
import type { CompatSwitches } from '../config/types.js';
import { AgentError, describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

/** The offers to try, in order: each is one handshake's `Sec-WebSocket-Protocol` list. */
export function subprotocolOffers(
  serializations: readonly Serialization[],
  compat: CompatSwitches,
): string[][] {
  switch (compat.subprotocolOffer) {
    case 'legacy-json-first':
      // Mobius reads only the first name, and fails the handshake on `oneM2M.json` first.
      return [[legacySubprotocolName('json')]];
    case 'cbor-alone': {
      // ACME picks JSON whenever JSON is offered too, so CBOR must be offered alone.
      const supported = serializations.filter((s) => s !== 'xml');
      if (supported[0] === 'cbor')
        return [['oneM2M.cbor'], ...(supported.includes('json') ? [['oneM2M.json']] : [])];
      return [supported.map(subprotocolName)];
    }
    case 'preference':
      return [serializations.map(subprotocolName)];
  }
}

/** `csz` for the `<AE>`: the negotiated serialization first, then the others we accept. */
export function contentSerializations(
  negotiated: Serialization,
  configured: readonly Serialization[],
): string[] {
  return [negotiated, ...configured.filter((s) => s !== negotiated)].map(mediaTypeOf);
}

export interface ConnectorOptions {
  readonly connect: Connect;
  readonly base: Omit<ConnectOptions, 'serializations' | 'offer' | 'headers'>;
  readonly serializations: readonly Serialization[];
  readonly compat: CompatSwitches;
  /** The originator to announce in `X-M2M-Origin` (the AE-ID once known, else the configured stem). */
  readonly origin: () => string | undefined;
  readonly logger: Logger;
}

/** A `() => Promise<Connection>` for the link manager. Falls back through the offers on refusal. */
export function createConnector(o: ConnectorOptions): {
  connect: () => Promise<Connection>;
  originSent: () => string | undefined;
} {
  let lastOrigin: string | undefined;
  const connect = async (): Promise<Connection> => {
    const offers = subprotocolOffers(o.serializations, o.compat);
    const origin = o.compat.originHeader ? o.origin() : undefined;
    // An AE-ID stem (not the bare `C`/`S` that asks for one) or, in the ASN role, our CSE-ID.
    const headers =
      origin !== undefined && /^([CS].|\/[^/\s]+$)/.test(origin) ? { 'X-M2M-Origin': origin } : undefined;
    let lastErr: unknown;
    for (const offer of offers) {
      try {
        const conn = await o.connect({
          ...o.base,
          serializations: o.serializations,
          offer,
          ...(headers ? { headers } : {}),
        });
        lastOrigin = headers?.['X-M2M-Origin'];
        return conn;
      } catch (err) {
        lastErr = err;
        const refused = err instanceof AgentError && /SUBPROTOCOL|HANDSHAKE_FAILED/.test(err.code);
        if (!refused) throw err;
        o.logger.info('registrar refused the offered subprotocols; trying the next offer', {
          offered: offer.join(', '),
          error: describeError(err),
        });
      }
    }
    throw lastErr instanceof Error ? lastErr : new Error(String(lastErr));
  };
  return { connect, originSent: () => lastOrigin };
}
