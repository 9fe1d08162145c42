/**
 * `connect()`: the opening handshake of the oneM2M WebSocket binding (TS-0020 5.2, RFC 6455 4)
 * over `ws`, optionally through an HTTP CONNECT proxy and TLS. Every way it can fail ends in a
 * named error that says what was offered and what came back.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { isIP, type Socket } from 'node:net';
import tls from 'node:tls';
import WebSocket, { type ClientOptions } from 'ws';
import { systemClock } from '../../util/clock.js';
import { silentLogger } from '../../util/log.js';
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
import { openTunnel, parseProxyUrl } from './proxy.js';
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

/** Opens a link and resolves once the server selected a subprotocol we offered. */
export async function connect(opts: ConnectOptions): Promise<Connection> {
  const url = parseUrl(opts.url);
  const offered = buildOffer(opts.serializations, opts.offer);
  const clock = opts.clock ?? systemClock;
  const logger = (opts.logger ?? silentLogger).child({ component: 'binding/ws', peer: url.host });
  const secure = url.protocol === 'wss:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
  const maxMessageBytes = opts.maxMessageBytes ?? 1024 * 1024;
  if (secure && opts.tls?.insecure) {
    logger.warn('TLS certificate verification is disabled (tls.insecure)', { code: 'WS_TLS_INSECURE' });
  }

  const deadline = new AbortController();
  const timer = clock.setTimeout(() => {
    deadline.abort(new WsHandshakeTimeoutError(handshakeTimeoutMs));
  }, handshakeTimeoutMs);
  let tunnel: Socket | undefined;
  try {
    const wsOptions: ClientOptions & { closeTimeout: number } = {
      headers: { ...opts.headers },
      maxPayload: maxMessageBytes,
      perMessageDeflate: (opts.compression ?? true) ? DEFLATE_OFFER : false,
      followRedirects: false,
      closeTimeout: CLOSE_HANDSHAKE_TIMEOUT_MS,
      ...(secure ? tlsClientOptions(opts.tls) : {}),
    };
    if (opts.proxy !== undefined) {
      const proxy = parseProxyUrl(opts.proxy);
      logger.debug('opening proxy tunnel', { proxy: `${proxy.host}:${proxy.port}` });
      const socket = await openTunnel(
        proxy,
        `${isIP(host) === 6 ? `[${host}]` : host}:${port}`,
        deadline.signal,
      );
      tunnel = socket;
      wsOptions.createConnection = () =>
        secure
          ? tls.connect({ socket, host, ...tlsClientOptions(opts.tls), ...sni(host, opts.tls) })
          : socket;
    }
    // Built inside ws's 'open' event: a message right behind the 101 must find its listeners.
    return await handshake(url, offered, wsOptions, deadline.signal, `${host}:${port}`, (ws) => {
      const subprotocol = ws.protocol;
      const codec = checkSelection(offered, subprotocol);
      logger.info('link open', { subprotocol, offered });
      return new WsConnection({
        ws,
        subprotocol,
        codec,
        clock,
        logger,
        maxMessageBytes,
        requestTimeoutMs: opts.requestTimeoutMs ?? 30_000,
        pingIntervalMs: opts.pingIntervalMs ?? 30_000,
        pongTimeoutMs: opts.pongTimeoutMs ?? 10_000,
        onRequest: opts.onRequest,
        onFrame: opts.onFrame,
      });
    });
  } catch (err) {
    tunnel?.destroy();
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

/** The TLS settings passed both to `ws` and to `tls.connect` (proxy path). */
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

/** SNI must be a DNS name (RFC 6066 3), never an IP literal. */
function sni(host: string, t: TlsOptions | undefined): { servername?: string } {
  if (t?.servername !== undefined) return { servername: t.servername };
  return isIP(host) ? {} : { servername: host };
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
  address: string,
  onOpen: (ws: WebSocket) => Connection,
): Promise<Connection> {
  return new Promise<Connection>((resolve, reject) => {
    let verdict: WsError | undefined;
    let key: string | undefined;
    let settled = false;
    const tls = { clientCert: options.cert !== undefined, tlsEstablished: false };
    let ws: WebSocket;
    try {
      ws = new WebSocket(url, [...offered], {
        ...options,
        finishRequest: (req) => {
          const k = req.getHeader('sec-websocket-key');
          key = typeof k === 'string' ? k : undefined;
          // A reset right after our side of TLS finished means the registrar refused our certificate.
          req.once('socket', (socket) => {
            socket.once('secureConnect', () => {
              tls.tlsEstablished = true;
            });
          });
          req.end();
        },
      });
    } catch (err) {
      const e = err as Error & { code?: string };
      reject(
        tlsFailureOf(e.code, e.message, tls) === undefined
          ? new WsOptionsError(`cannot open ${url.href}: ${e.message}`)
          : mapConnectError(e, address, tls),
      );
      return;
    }
    const onAbort = (): void => {
      verdict ??= signal.reason instanceof WsError ? signal.reason : new WsHandshakeTimeoutError(0);
      ws.terminate();
    };
    const done = (): void => {
      settled = true;
      signal.removeEventListener('abort', onAbort);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    ws.on('upgrade', (res: IncomingMessage) => {
      verdict ??= checkUpgrade(res, key, offered);
    });
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      verdict ??= new WsHandshakeFailedError(res.statusCode, res.statusMessage ?? 'not a WebSocket upgrade');
      res.resume();
      ws.terminate();
    });
    ws.once('open', () => {
      done();
      try {
        resolve(onOpen(ws));
      } catch (err) {
        ws.terminate();
        reject(err instanceof WsError ? err : new WsHandshakeFailedError(101, String(err), err));
      }
    });
    ws.on('error', (err: Error & { code?: string }) => {
      if (settled) return; // after 'open' the connection's own listener reports errors
      done();
      reject(verdict ?? mapConnectError(err, address, tls));
    });
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
