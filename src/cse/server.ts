/**
 * The development registrar: the in-memory CSE behind the server side of the WebSocket binding
 * (TS-0020). Serves `ws://` and, given a certificate and key, `wss://`; picks the subprotocol per
 * the quirks (TS-0020: the first of the client's offer it supports) and refuses an offer with
 * nothing acceptable with an HTTP error; delivers notifications over the registree's open
 * connection, keeping them (bounded) for one that is not connected.
 */
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { serializationOf } from '../codec/subprotocol.js';
import { describeError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { Cse } from './cse.js';
import { RegistrarStartError } from './errors.js';
import { resolveQuirks, type Imitation, type Quirks } from './quirks.js';
import { Registrar } from './registrar.js';
import { chooseSubprotocol, offeredSubprotocols, servedNames } from './subprotocol-choice.js';

export interface RegistrarTlsOptions {
  /** PEM certificate (contents). */
  readonly cert: string | Buffer;
  /** PEM private key (contents). */
  readonly key: string | Buffer;
  /** PEM CA bundle used to verify client certificates. */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
  /** Ask for (and require) a client certificate: mutual TLS (TS-0003 security association). */
  readonly requestCert?: boolean;
}

export interface RegistrarOptions {
  /** Interface to listen on; default 127.0.0.1. */
  readonly host?: string;
  /** Port; default 0 (a free one). */
  readonly port?: number;
  /** Default `/id-in`. */
  readonly cseId?: string;
  /** Default `cse-in`. */
  readonly cseName?: string;
  /** Given: `wss://`. */
  readonly tls?: RegistrarTlsOptions;
  /** Behave like a known registrar; `quirks` overrides single switches. */
  readonly imitate?: Imitation;
  readonly quirks?: Partial<Quirks>;
  readonly logger?: Logger;
  /** Notifications kept per registree that is not connected; default 100. */
  readonly maxPendingNotifications?: number;
  /** How long to wait for the answer to a notification; default 10 000 (as ACME). */
  readonly requestTimeoutMs?: number;
  /** Use this CSE instead of a new one (its quirks then win over `imitate`/`quirks` for requests). */
  readonly cse?: Cse;
}

/** Starts the development registrar; resolves once it listens. */
export async function startRegistrar(opts: RegistrarOptions = {}): Promise<Registrar> {
  const logger = opts.logger ?? silentLogger;
  const quirks = opts.cse?.quirks ?? resolveQuirks(opts.imitate, opts.quirks);
  const cse =
    opts.cse ??
    new Cse({
      cseId: opts.cseId,
      cseName: opts.cseName,
      imitate: opts.imitate,
      quirks: opts.quirks,
      logger: logger.child({ component: 'cse' }),
    });
  const host = opts.host ?? '127.0.0.1';
  const server = createHttpServer(opts.tls);
  const wss = createWebSocketServer(server, quirks, logger);
  await listen(server, host, opts.port ?? 0);
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host;
  const url = `${opts.tls ? 'wss' : 'ws'}://${hostInUrl}:${port}/`;
  cse.setPointOfAccess([url.replace(/\/$/, '')]);
  const registrar = new Registrar(server, wss, {
    url,
    port,
    cse,
    quirks,
    logger,
    maxPending: opts.maxPendingNotifications ?? 100,
    timeoutMs: opts.requestTimeoutMs ?? 10_000,
  });
  wss.on('connection', (ws, req) => {
    registrar.accept(ws, req);
  });
  server.on('error', (err) => {
    logger.error('registrar server error', { error: describeError(err) });
  });
  logger.info('registrar listening', { url, cseId: cse.cseId, cseName: cse.cseName });
  return registrar;
}

/** An HTTP(S) server that answers plain requests with 426: only WebSocket upgrades are served. */
function createHttpServer(tls: RegistrarTlsOptions | undefined): http.Server {
  let server: http.Server;
  try {
    server = tls
      ? https.createServer({
          cert: tls.cert,
          key: tls.key,
          ca: tls.ca as https.ServerOptions['ca'],
          requestCert: tls.requestCert ?? false,
          rejectUnauthorized: tls.requestCert ?? false,
        })
      : http.createServer();
  } catch (err) {
    throw new RegistrarStartError(`cannot set up TLS: ${describeError(err)}`, err);
  }
  server.on('request', (_req, res) => {
    res.writeHead(426, { 'Content-Type': 'text/plain', Upgrade: 'websocket' });
    res.end('oneM2M WebSocket binding (TS-0020): open a WebSocket with a oneM2M subprotocol\n');
  });
  return server;
}

/** The WebSocket server on `server`; a handshake without an acceptable subprotocol is refused. */
function createWebSocketServer(server: http.Server, quirks: Quirks, logger: Logger): WebSocketServer {
  const chosen = new WeakMap<http.IncomingMessage, string>();
  const wss = new WebSocketServer({
    server,
    maxPayload: quirks.maxMessageBytes,
    perMessageDeflate: quirks.perMessageDeflate ? { threshold: 0 } : false,
    verifyClient: (info, cb) => {
      const offer = offeredSubprotocols(info.req.rawHeaders);
      if (offer.length === 0) {
        logger.warn('handshake refused: no subprotocol offered', { peer: info.req.socket.remoteAddress });
        cb(
          false,
          400,
          'Sec-WebSocket-Protocol is mandatory (TS-0020): offer oneM2M.json, oneM2M.cbor or oneM2M.xml',
        );
        return;
      }
      const pick = chooseSubprotocol(offer, quirks);
      if (pick === undefined || serializationOf(pick) === undefined) {
        logger.warn('handshake refused: nothing acceptable offered', { offer });
        cb(
          false,
          quirks.handshakeRefusalStatus,
          `none of ${offer.join(', ')} is served here; use ${servedNames(quirks.subprotocols)}`,
        );
        return;
      }
      chosen.set(info.req, pick);
      cb(true);
    },
    handleProtocols: (_protocols, req) => chosen.get(req) ?? false,
  });
  // ws re-emits the HTTP server's errors; without a listener a failed listen would throw.
  wss.on('error', (err) => {
    logger.error('registrar WebSocket server error', { error: describeError(err) });
  });
  return wss;
}

function listen(server: http.Server, host: string, port: number): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(new RegistrarStartError(`cannot listen on ${host}:${port}: ${err.message}`, err));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export { Registrar } from './registrar.js';
