/**
 * The HTTP upgrade of the WebSocket binding (RFC 6455 4.1) over `ws`: runs it, checks the server's
 * reply (accept value, selected subprotocol) and names every way it can fail, including the
 * proxy's refusal and TLS failures.
 */
import { createHash } from 'node:crypto';
import type { Agent, ClientRequest, IncomingMessage } from 'node:http';
import WebSocket, { type ClientOptions } from 'ws';
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
import { watchProxyAnswer } from './proxy.js';
import { checkSelection } from './subprotocol.js';
import { tlsFailureOf, type TlsContext } from './tls-failure.js';
import type { Connection } from './types.js';

/** RFC 6455 1.3: the GUID appended to the key before hashing. */
const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 4.2.2: the `Sec-WebSocket-Accept` value a server must return for `key`. */
export function acceptFor(key: string): string {
  return createHash('sha1')
    .update(key + WS_GUID)
    .digest('base64');
}

/** Where the handshake goes, and whom a connect failure is about. */
export interface Route {
  /** `host:port` of the registrar. */
  readonly address: string;
  /** Set when the link goes through an HTTP CONNECT proxy. */
  readonly proxy?: { readonly agent: Agent; readonly address: string; readonly target: string };
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
export function handshake(
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
