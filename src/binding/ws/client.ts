/**
 * `connect()`: the opening handshake of the oneM2M WebSocket binding (TS-0020 5.2, RFC 6455 4)
 * over `ws`, optionally through an HTTP CONNECT proxy and TLS. Every way it can fail ends in a
 * named error that says what was offered and what came back.
 */
import { isIP } from 'node:net';
import type WebSocket from 'ws';
import type { ClientOptions } from 'ws';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { WsConnection } from './connection.js';
import { WsError, WsHandshakeFailedError, WsHandshakeTimeoutError, WsOptionsError } from './errors.js';
import { handshake, type Route } from './handshake.js';
import { parseProxyUrl, proxyAddress, proxyAgent } from './proxy.js';
import { buildOffer, checkSelection } from './subprotocol.js';
import { useSyncDeflate } from './sync-deflate.js';
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

/** How long `ws` waits for the peer's close frame before dropping the socket. */
const CLOSE_HANDSHAKE_TIMEOUT_MS = 5000;

export { acceptFor } from './handshake.js';

/** Defaults of the link's limits and timers (`ConnectOptions`). */
const LINK_DEFAULTS = {
  handshakeTimeoutMs: 10_000,
  maxMessageBytes: 1024 * 1024,
  requestTimeoutMs: 30_000,
  pingIntervalMs: 30_000,
  pongTimeoutMs: 10_000,
} as const;

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
  useSyncDeflate(ws);
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
