/**
 * The contract of the WebSocket binding client (TS-0020). The agent (link manager) depends on
 * these types only; `client.ts` implements them over `ws`.
 */
import type { Codec, Serialization } from '../../codec/index.js';
import type { Primitive, RequestPrimitive, ResponsePrimitive } from '../../protocol/primitive.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';

export interface TlsOptions {
  /** PEM CA bundle (contents, not a path) to verify the registrar; default: the system's CAs. */
  readonly ca?: string | Buffer;
  /** PEM client certificate for mutual TLS. */
  readonly cert?: string | Buffer;
  /** PEM client key for mutual TLS. */
  readonly key?: string | Buffer;
  /** Skip certificate verification. Logged as a warning at every connect. */
  readonly insecure?: boolean;
  /** Override the name checked against the certificate (default: the URL host). */
  readonly servername?: string;
}

/** Handles a request the peer sent us; its return value is sent back as the response. */
export type RequestHandler = (req: RequestPrimitive) => Promise<ResponsePrimitive> | ResponsePrimitive;

/** Observes every primitive on the wire (for the demo, status and benchmarks). */
export type FrameObserver = (event: {
  readonly direction: 'in' | 'out';
  /** Bytes of the message payload. */
  readonly bytes: number;
  readonly primitive: Primitive;
}) => void;

export interface ConnectOptions {
  /** `ws://host[:port]/` or `wss://host[:port]/`. */
  readonly url: string;
  /** Serializations in preference order; offered as `oneM2M.<s>` in one comma-separated header. */
  readonly serializations: readonly Serialization[];
  /**
   * Exact subprotocol names to offer instead (e.g. `oneM2M.R2.0.json` first for Mobius). Each must
   * map to a serialization; the server's choice is accepted only if it is one of these.
   */
  readonly offer?: readonly string[];
  /** Extra handshake headers (e.g. `X-M2M-Origin` for ACME). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly tls?: TlsOptions;
  /** `http://[user:pass@]host:port` of an HTTP CONNECT proxy. */
  readonly proxy?: string;
  /** Opening handshake deadline; default 10 000. */
  readonly handshakeTimeoutMs?: number;
  /** Ping interval; default 30 000; 0 disables pings. */
  readonly pingIntervalMs?: number;
  /** Close the link when no pong arrives within this after a ping; default 10 000. */
  readonly pongTimeoutMs?: number;
  /**
   * Offer permessage-deflate (RFC 7692) with small-board parameters (`DEFLATE_OFFER`); default
   * true. A registrar that declines it gets plain frames, silently.
   */
  readonly compression?: boolean;
  /** Largest message accepted (incoming, close 1009) or sent; default 1 MiB. */
  readonly maxMessageBytes?: number;
  /** Default per-request timeout; default 30 000. */
  readonly requestTimeoutMs?: number;
  /** Handles requests from the peer; without one they are answered 5001 NOT_IMPLEMENTED. */
  readonly onRequest?: RequestHandler;
  readonly onFrame?: FrameObserver;
  readonly logger?: Logger;
  /** Timers for handshake, request timeouts and pings; default the system clock (tests inject one). */
  readonly clock?: Clock;
}

export interface RequestOptions {
  /** Default: the connection's `requestTimeoutMs`. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/** How and why a connection ended. */
export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
  /** Set when we closed it because of a fault (no pong, bad frames, ...). */
  readonly error?: Error;
  /** True if we initiated the close. */
  readonly local: boolean;
}

export interface Connection {
  /** The subprotocol the server selected (exactly as it sent it). */
  readonly subprotocol: string;
  readonly codec: Codec;
  readonly serialization: Serialization;
  /** The negotiated compression extension (`permessage-deflate`), absent when none was agreed. */
  readonly compression?: string;
  /** Requests sent and not yet answered. */
  readonly inFlight: number;
  readonly isOpen: boolean;
  /**
   * Sends a request and resolves with the response that carries the same `rqi`, whatever its
   * `rsc` (responses are data). Rejects with a named error on timeout, abort or link loss.
   */
  request(req: RequestPrimitive, opts?: RequestOptions): Promise<ResponsePrimitive>;
  /** Graceful close: waits up to `graceMs` for in-flight requests, then closes with `code`. */
  close(code?: number, reason?: string, graceMs?: number): Promise<CloseInfo>;
  /** Settles once the connection is closed, for any reason. Never rejects. */
  readonly closed: Promise<CloseInfo>;
}

export type Connect = (opts: ConnectOptions) => Promise<Connection>;
