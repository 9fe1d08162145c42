/**
 * `connect()`: the opening handshake of the oneM2M WebSocket binding (TS-0020 5.2, RFC 6455 4)
 * over `ws`, optionally through an HTTP CONNECT proxy and TLS. Every way it can fail ends in a
 * named error that says what was offered and what came back.
 */
import { createHash } from 'node:crypto';
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import WebSocket, { type ClientOptions } from 'ws';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { WsConnection } from './connection.js';
import {
  WsBadAcceptError,
  WsConnectFailedError,
  WsConnectionRefusedError,
  WsError,
  WsHandshakeFailedError,
  WsHandshakeTimeoutError,
  WsOptionsError,
  WsTlsError,
} from './errors.js';
import { parseProxyUrl, proxyAddress, proxyAgent, watchProxyAnswer } from './proxy.js';
import { buildOffer, checkSelection } from './subprotocol.js';
import { tlsFailureOf, type TlsContext } from './tls-failure.js';
import type { ConnectOptions, Connection, TlsOptions } from './types.js';

/**
 * permessage-deflate as offered (RFC 7692 7.1): window 2^12 both ways and zlib memLevel 4, so a
 * link holds about 24 KiB of zlib state (deflate: 2^(12+2) + 2^(4+9) bytes; inflate: 2^12 plus
 * ~7 KiB) instead of ~300 KiB with zlib's defaults. Measured on the agent's own CBOR requests
 * (context takeover kept): ~23 bytes per request, the same as window 15 / memLevel 8 gives; 2^10
 * gives ~30. `threshold` 0: every frame is compressed (ws skips those under 1 KiB by default, and
 * ours are all smaller).
 */
export const DEFLATE_OFFER = {
  clientMaxWindowBits: 12,
  serverMaxWindowBits: 12,
  zlibDeflateOptions: { memLevel: 4 },
  threshold: 0,
} as const;

/** RFC 6455 1.3: the GUID appended to the key before hashing. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';
/** How long `ws` waits for the peer's close frame before dropping the socket. */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 5000;

/** RFC 6455 4.2.2: the `Sec-WebSocket-Accept` value a server must return for `key`. */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
}

/** Defaults of the link's limits and timers (`ConnectOptions`). */
const LINK_DEFAULTS = {
  handshakeTimeoutMs: 10_000,
  maxMessageBytes: 1024 * 1024,
  requestTimeoutMs: 30_000,
  pingIntervalMs: 30_000,
  pongTimeoutMs: 10_000,
} as const;

/** Where the handshake goes, and whom a connect failure is about. */
interface Route {
  /** `host:port` of the registrar. */
  readonly address: string;
  /** Set when the link goes through an HTTP CONNECT proxy. */
  readonly proxy?: { readonly agent: Agent; readonly address: string; readonly target: string };
}

/** Opens a link and resolves once the server selected a subprotocol we offered. */
export async function connect(opts: ConnectOptions): Promise<Connection> {
  const url = parseUrl(opts.url);
  const offered = buildOffer(opts.serializations, opts.offer);
  const clock = opts.clock ?? systemClock;
  const logger = (opts.logger ?? silentLogger).child({ component: 'binding/ws', peer: url.host });
  const secure = url.protocol === 'wss:';
  if (secure && opts.tls?.insecure) {
    logger.warn('TLS certificate verification is disabled (tls.insecure)', { code: 'WS_TLS_INSECURE' });
  }
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? LINK_DEFAULTS.handshakeTimeoutMs;
  const deadline = new AbortController();
  const timer = clock.setTimeout(() => {
    deadline.abort(new WsHandshakeTimeoutError(handshakeTimeoutMs));
  }, handshakeTimeoutMs);
  try {
    const route = await routeTo(url, opts.proxy, deadline.signal, logger);
    const wsOptions = {
      ...wsClientOptions(opts, secure),
      ...(route.proxy ? { agent: route.proxy.agent } : {}),
    };
    // Built inside ws's 'open' event: a message right behind the 101 must find its listeners.
    return await handshake(url, offered, wsOptions, deadline.signal, route, (ws) =>
      openConnection(ws, offered, opts, { clock, logger }),
    );
  } catch (err) {
    const e = err instanceof WsError ? err : new WsHandshakeFailedError(undefined, String(err), err);
    // Debug only: the caller (the link manager) logs one line per state change, not per attempt.
    logger.debug('connect failed', { code: e.code, error: e.message, offered });
    throw e;
  } finally {
    clock.clearTimeout(timer);
  }
}

function parseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new WsOptionsError(`registrar URL "${raw}" is not a URL`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new WsOptionsError(`registrar URL "${raw}" must start with ws:// or wss://`);
  }
  if (url.hash) throw new WsOptionsError(`registrar URL "${raw}" must not have a #fragment`);
  return url;
}

/** The registrar's address and, with a proxy, the agent that tunnels to it (ended by `signal`). */
async function routeTo(
  url: URL,
  proxyUrl: string | undefined,
  signal: AbortSignal,
  logger: Logger,
): Promise<Route> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (url.protocol === 'wss:' ? 443 : 80) : Number(url.port);
  const address = `${host}:${port}`;
  if (proxyUrl === undefined) return { address };
  const proxy = parseProxyUrl(proxyUrl);
  logger.debug('opening proxy tunnel', { proxy: proxyAddress(proxy) });
  const target = `${isIP(host) === 6 ? `[${host}]` : host}:${port}`;
  return { address, proxy: { agent: await proxyAgent(proxy, signal), address: proxyAddress(proxy), target } };
}

/** What `ws` is given: handshake headers, limits, compression offer and TLS settings. */
function wsClientOptions(opts: ConnectOptions, secure: boolean): ClientOptions & { closeTimeout: number } {
  return {
    headers: { ...opts.headers },
    maxPayload: opts.maxMessageBytes ?? LINK_DEFAULTS.maxMessageBytes,
    perMessageDeflate: (opts.compression ?? true) ? DEFLATE_OFFER : false,
    followRedirects: false,
    closeTimeout: CLOSE_HANDSHAKE_TIMEOUT_MS,
    ...(secure ? tlsClientOptions(opts.tls) : {}),
  };
}

/** The link over an upgraded socket, once the selected subprotocol is checked. */
function openConnection(
  ws: WebSocket,
  offered: readonly string[],
  opts: ConnectOptions,
  deps: { readonly clock: Clock; readonly logger: Logger },
): Connection {
  const subprotocol = ws.protocol;
  const codec = checkSelection(offered, subprotocol);
  deps.logger.info('link open', { subprotocol, offered });
  return new WsConnection({
    ws,
    subprotocol,
    codec,
    ...deps,
    maxMessageBytes: opts.maxMessageBytes ?? LINK_DEFAULTS.maxMessageBytes,
    requestTimeoutMs: opts.requestTimeoutMs ?? LINK_DEFAULTS.requestTimeoutMs,
    pingIntervalMs: opts.pingIntervalMs ?? LINK_DEFAULTS.pingIntervalMs,
    pongTimeoutMs: opts.pongTimeoutMs ?? LINK_DEFAULTS.pongTimeoutMs,
    onRequest: opts.onRequest,
    onFrame: opts.onFrame,
  });
}

/** The TLS settings `ws` passes on to `tls.connect` (also through the proxy agent). */
interface TlsClientOptions {
  rejectUnauthorized: boolean;
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
}

function tlsClientOptions(t: TlsOptions | undefined): TlsClientOptions {
  return {
    // Certificates are verified unless explicitly disabled (logged at every connect).
    rejectUnauthorized: !(t?.insecure ?? false),
    ...(t?.ca !== undefined ? { ca: t.ca } : {}),
    ...(t?.cert !== undefined ? { cert: t.cert } : {}),
    ...(t?.key !== undefined ? { key: t.key } : {}),
    ...(t?.servername !== undefined ? { servername: t.servername } : {}),
  };
}

/** What one handshake attempt has learned so far, to name its failure. */
interface HandshakeState {
  verdict: WsError | undefined;
  key: string | undefined;
  settled: boolean;
  readonly tls: { clientCert: boolean; tlsEstablished: boolean };
  /** False while the proxy has not answered the CONNECT: a connect failure is then the proxy's. */
  proxyAnswered: boolean;
}

/**
 * Runs the HTTP upgrade. `ws` checks the accept value and the subprotocol itself and aborts with
 * a plain message; the same checks are made here on the `upgrade` event so the error is named.
 */
function handshake(
  url: URL,
  offered: readonly string[],
  options: ClientOptions,
  signal: AbortSignal,
  route: Route,
  onOpen: (ws: WebSocket) => Connection,
): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    const state: HandshakeState = {
      verdict: undefined,
      key: undefined,
      settled: false,
      tls: { clientCert: options.cert !== undefined, tlsEstablished: false },
      proxyAnswered: false,
    };
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, [...offered], {
        ...options,
        finishRequest: (req) => {
          finishRequest(req, state, route);
        },
      });
    } catch (err) {
      const e = err as Error & { code?: string };
      reject(
        tlsFailureOf(e.code, e.message, state.tls) === undefined
          ? new WsOptionsError(`cannot open ${url.href}: ${e.message}`)
          : mapConnectError(e, route.address, state.tls),
      );
      return;
    }
    watchHandshake(ws, offered, signal, state, {
      opened: () => onOpen(ws),
      resolve,
      reject,
      failure: (err) => mapConnectError(err, failedAddress(route, state), state.tls),
    });
  });
}

/** Sends the upgrade request, noting its key and what the proxy and TLS layers report. */
function finishRequest(req: ClientRequest, state: HandshakeState, route: Route): void {
  const k = req.getHeader('sec-websocket-key');
  state.key = typeof k === 'string' ? k : undefined;
  if (route.proxy) {
    watchProxyAnswer(
      req,
      route.proxy.target,
      () => (state.proxyAnswered = true),
      (refused) => (state.verdict ??= refused),
    );
  }
  // A reset right after our side of TLS finished means the registrar refused our certificate.
  req.once('socket', (socket) => {
    socket.once('secureConnect', () => {
      state.tls.tlsEstablished = true;
    });
  });
  req.end();
}

/** Whom a connect failure is about: the proxy until it answered the CONNECT, then the registrar. */
function failedAddress(route: Route, state: HandshakeState): string {
  return route.proxy && !state.proxyAnswered ? `proxy ${route.proxy.address}` : route.address;
}

/** Settles the handshake on the first of: open, failure (named by the verdict if any), abort. */
function watchHandshake(
  ws: WebSocket,
  offered: readonly string[],
  signal: AbortSignal,
  state: HandshakeState,
  out: {
    opened: () => Connection;
    resolve: (c: Connection) => void;
    reject: (e: unknown) => void;
    failure: (err: Error & { code?: string }) => WsError;
  },
): void {
  const onAbort = (): void => {
    state.verdict ??= signal.reason instanceof WsError ? signal.reason : new WsHandshakeTimeoutError(0);
    ws.terminate();
  };
  const done = (): void => {
    state.settled = true;
    signal.removeEventListener('abort', onAbort);
  };
  if (signal.aborted) onAbort();
  else signal.addEventListener('abort', onAbort, { once: true });
  ws.on('upgrade', (res: IncomingMessage) => {
    state.verdict ??= checkUpgrade(res, state.key, offered);
  });
  ws.on('unexpected-response', (_req, res: IncomingMessage) => {
    state.verdict ??= new WsHandshakeFailedError(
      res.statusCode,
      res.statusMessage ?? 'not a WebSocket upgrade',
    );
    res.resume();
    ws.terminate();
  });
  ws.once('open', () => {
    done();
    try {
      out.resolve(out.opened());
    } catch (err) {
      ws.terminate();
      out.reject(err instanceof WsError ? err : new WsHandshakeFailedError(101, String(err), err));
    }
  });
  ws.on('error', (err: Error & { code?: string }) => {
    if (state.settled) return; // after 'open' the connection's own listener reports errors
    done();
    out.reject(state.verdict ?? out.failure(err));
  });
}

/** The checks of RFC 6455 4.1 (server reply, items 4 and 6) that must name their failure. */
function checkUpgrade(
  res: IncomingMessage,
  key: string | undefined,
  offered: readonly string[],
): WsError | undefined {
  const accept = res.headers['sec-websocket-accept'];
  if (key !== undefined) {
    const expected = acceptFor(key);
    if (accept !== expected) return new WsBadAcceptError(expected, accept);
  }
  try {
    checkSelection(offered, res.headers['sec-websocket-protocol']);
  } catch (err) {
    if (err instanceof WsError) return err;
    return new WsHandshakeFailedError(101, (err as Error).message, err);
  }
  return undefined;
}

/** Maps what `ws`/`net`/`tls` threw during the handshake to a named error. */
export function mapConnectError(
  err: Error & { code?: string },
  address: string,
  tlsContext: TlsContext = { clientCert: false, tlsEstablished: false },
): WsError {
  if (err instanceof WsError) return err;
  const code = err.code;
  if (code === 'ECONNREFUSED') return new WsConnectionRefusedError(address, err);
  const tlsFailure = tlsFailureOf(code, err.message, tlsContext);
  if (tlsFailure !== undefined) return new WsTlsError(tlsFailure, code ?? 'TLS', err.message, err);
  if (code !== undefined && /^E[A-Z_]+$/.test(code))
    return new WsConnectFailedError(address, code, err.message, err);
  return new WsHandshakeFailedError(undefined, err.message, err);
}
