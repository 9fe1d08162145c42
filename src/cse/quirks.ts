/**
 * Behaviour switches of the development registrar. The defaults follow TS-0004 / TS-0020; the
 * `acme` and `mobius` presets reproduce what those registrars do on the wire (onem2m-reference
 * sections 6 and 7, design.md "Registrars in the field differ"), so that the agent's compatibility
 * switches can be tested against something that misbehaves the same way. Each quirk is one field
 * and can be set alone through `quirks: { ... }`.
 */
import { Rsc } from '../protocol/codes.js';

/** How the subprotocol is picked from the client's offer. */
export type SubprotocolSelection =
  /** TS-0020: the first name of the client's offer that the server supports (offer order = preference). */
  | 'client-order'
  /** ACME: the server's own order among the names offered (JSON before CBOR). */
  | 'server-order'
  /** Mobius: only the first offered name is looked at; if it is not supported the handshake fails. */
  | 'first-only';

/** What happens to a request that arrives while another one is being handled on the same connection. */
export type PipeliningBehaviour =
  /** Standard: every request is handled and answered. */
  | 'serve'
  /** ACME-like loss: the later request is dropped without a response (logged as a warning). */
  | 'drop'
  /** ACME-like repetition: the later request is executed twice and both responses are sent. */
  | 'duplicate'
  /** Mobius: every request is answered once, but a pipelined pair is answered in reverse order. */
  | 'reorder';

export interface Quirks {
  /**
   * Subprotocol names served, compared ignoring case; the order is the server's preference.
   * `'all'`: every `oneM2M.<s>` and legacy `oneM2M.R2.0.<s>` name that has a codec.
   */
  readonly subprotocols: 'all' | readonly string[];
  /** How one name is picked from the offer. */
  readonly subprotocolSelection: SubprotocolSelection;
  /** HTTP status of a refused handshake (nothing acceptable offered). Mobius fails with 500. */
  readonly handshakeRefusalStatus: number;
  /** Accept permessage-deflate (RFC 7692) when offered, as ACME does; Mobius 2.4 does not. */
  readonly perMessageDeflate: boolean;
  /**
   * ACME: a connection is identified by its `X-M2M-Origin` handshake header. Without it only
   * registration CREATEs are served (others 4103, even after the CREATE succeeded); with it,
   * requests whose `fr` is that originator are served. Off: TS-0020, the connection is bound to
   * the originator that registered (or, after a reconnect, first spoke) on it.
   */
  readonly originHeaderIdentification: boolean;
  /** ACME: notify an AE only if its `poa` has a `ws://`/`wss://` entry (all mean "its open connection"). */
  readonly notifyRequiresWsPoa: boolean;
  /** ACME: notifications on a CBOR link go as JSON text frames unless the AE's `csz` lists `application/cbor`. */
  readonly jsonNotificationsOnCbor: boolean;
  /** A request without `rvi` is a Release-1 request, which is not supported: 4001 (ACME does the same). */
  readonly rejectMissingRvi: boolean;
  /** Mobius: any `rvi` value is accepted (standard: only known releases, else 4001). */
  readonly acceptAnyRvi: boolean;
  /** Mobius answers every request with `rvi` "2a"; undefined: echo the request's (supported) `rvi`. */
  readonly responseRvi: string | undefined;
  /** ACME: `to` equal to the bare CSE-ID (`/id-in`) is refused with 4000 instead of meaning the CSEBase. */
  readonly refuseBareCseId: boolean;
  /** Status for a `<remoteCSE>` CREATE by a CSE already registered: 4117 (R3 text), ACME 4105. */
  readonly duplicateRemoteCseRsc: number;
  /** Pipelined requests on one connection. */
  readonly pipelining: PipeliningBehaviour;
  /** Binary frames on a text link: `'decode'` them anyway (liberal) or `'reject'` with 4000 (Mobius, JSON only). */
  readonly binaryFrames: 'decode' | 'reject';
  /** Mobius: false = never send requests (notifications, forwarded requests) over a client's connection. */
  readonly requestsOverLink: boolean;
  /** Largest message accepted; a larger one closes the connection with 1009 (Mobius: 64 KiB). */
  readonly maxMessageBytes: number;
  /** Ping interval in ms (0: no pings). ACME and Mobius ping every 20 s. */
  readonly pingIntervalMs: number;
  /** Close a connection whose pong has not come within this many ms after a ping (Mobius: 10 s). */
  readonly pongTimeoutMs: number;
  /** Mobius 2.4: an `<AE>` CREATE carrying `csz` fails with 5000 (it writes the array into SQL unquoted). */
  readonly failOnCsz: boolean;
  /** ACME: a `<remoteCSE>` is named after the registering CSE-ID without its slash, whatever `rn` was asked. */
  readonly remoteCseNamedAfterCsi: boolean;
  /**
   * ACME `[cse.registration] allowedCSROriginators`: the CSE-IDs that may create a `<remoteCSE>`;
   * others get 4103. `'any'`: no allow-list (standard). ACME's own default is an empty list.
   */
  readonly allowedCsrOriginators: 'any' | readonly string[];
  /** ACME: an empty list attribute in a CREATE (`"poa": []`) is refused with 4000. */
  readonly refuseEmptyLists: boolean;
  /** ACME: a RETRIEVE with `fc.fu` 1 forwarded to a remote CSE goes out with its internal `op` -2. */
  readonly forwardDiscoveryAsOpMinus2: boolean;
}

/** TS-0004 / TS-0020 behaviour. */
export const STANDARD_QUIRKS: Quirks = {
  subprotocols: 'all',
  subprotocolSelection: 'client-order',
  handshakeRefusalStatus: 400,
  perMessageDeflate: true,
  originHeaderIdentification: false,
  notifyRequiresWsPoa: false,
  jsonNotificationsOnCbor: false,
  rejectMissingRvi: true,
  acceptAnyRvi: false,
  responseRvi: undefined,
  refuseBareCseId: false,
  duplicateRemoteCseRsc: Rsc.ORIGINATOR_HAS_ALREADY_REGISTERED,
  pipelining: 'serve',
  binaryFrames: 'decode',
  requestsOverLink: true,
  maxMessageBytes: 4 * 1024 * 1024,
  pingIntervalMs: 0,
  pongTimeoutMs: 10_000,
  failOnCsz: false,
  remoteCseNamedAfterCsi: false,
  allowedCsrOriginators: 'any',
  refuseEmptyLists: false,
  forwardDiscoveryAsOpMinus2: false,
};

/** ACME CSE (release 2026.05.1, WebSocket binding). */
export const ACME_QUIRKS: Quirks = {
  ...STANDARD_QUIRKS,
  subprotocols: ['oneM2M.json', 'oneM2M.cbor'],
  subprotocolSelection: 'server-order',
  originHeaderIdentification: true,
  notifyRequiresWsPoa: true,
  jsonNotificationsOnCbor: true,
  rejectMissingRvi: true,
  refuseBareCseId: true,
  duplicateRemoteCseRsc: Rsc.CONFLICT,
  pipelining: 'drop',
  pingIntervalMs: 20_000,
  remoteCseNamedAfterCsi: true,
  allowedCsrOriginators: [],
  refuseEmptyLists: true,
  forwardDiscoveryAsOpMinus2: true,
};

/** Mobius 2.x (`pxy_ws.js`, commit 7a5e0b9; the `csz` failure: Mobius 2.4.x on MariaDB). */
export const MOBIUS_QUIRKS: Quirks = {
  ...STANDARD_QUIRKS,
  subprotocols: ['oneM2M.R2.0.json'],
  subprotocolSelection: 'first-only',
  handshakeRefusalStatus: 500,
  perMessageDeflate: false,
  rejectMissingRvi: false,
  acceptAnyRvi: true,
  responseRvi: '2a',
  pipelining: 'reorder',
  binaryFrames: 'reject',
  requestsOverLink: false,
  maxMessageBytes: 64 * 1024,
  pingIntervalMs: 20_000,
  pongTimeoutMs: 10_000,
  failOnCsz: true,
};

/** Names of the presets. */
export type Imitation = 'acme' | 'mobius';

/** Resolves a preset plus individual overrides into a full set of quirks. */
export function resolveQuirks(imitate?: Imitation, overrides: Partial<Quirks> = {}): Quirks {
  const base = imitate === 'acme' ? ACME_QUIRKS : imitate === 'mobius' ? MOBIUS_QUIRKS : STANDARD_QUIRKS;
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  return { ...base, ...defined };
}

/** True for the names accepted by `--imitate`. */
export function isImitation(s: unknown): s is Imitation {
  return s === 'acme' || s === 'mobius';
}
