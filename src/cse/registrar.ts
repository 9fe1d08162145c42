/**
 * A running development registrar: owns the client sessions, re-emits the CSE's events, and is
 * the CSE's `NotificationSink`: a request for a registree goes over its open connection and waits
 * for the answer; one for a registree that is not connected is kept (bounded) and sent when it
 * connects again (TS-0020 leaves this to the registrar).
 */
import { EventEmitter } from 'node:events';
import type http from 'node:http';
import type { WebSocket, WebSocketServer } from 'ws';
import { jsonCodec, type Codec } from '../codec/index.js';
import { Operation } from '../protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../protocol/primitive.js';
import { ACME_DISCOVERY_OP } from '../protocol/validate.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Cse } from './cse.js';
import type { Delivery } from './events.js';
import { NotificationQueue } from './notification-queue.js';
import type { NotificationSink } from './notifier.js';
import type { Quirks } from './quirks.js';
import type { ConnectionInfo, RegistrarEvents } from './registrar-events.js';
import { Session } from './session.js';

/** A running development registrar. */
export class Registrar extends EventEmitter<RegistrarEvents> {
  /** `ws://127.0.0.1:PORT/` (or `wss://`). */
  readonly url: string;
  readonly port: number;
  readonly cse: Cse;
  readonly quirks: Quirks;
  private readonly sessions = new Map<string, Session>();
  private readonly queue: NotificationQueue;
  private readonly logger: Logger;
  private readonly timeoutMs: number;
  private closing: Promise<void> | undefined;
  private seq = 0;

  /** Use `startRegistrar`. */
  constructor(
    private readonly http: http.Server,
    private readonly wss: WebSocketServer,
    init: {
      url: string;
      port: number;
      cse: Cse;
      quirks: Quirks;
      logger: Logger;
      maxPending: number;
      timeoutMs: number;
    },
  ) {
    super();
    this.url = init.url;
    this.port = init.port;
    this.cse = init.cse;
    this.quirks = init.quirks;
    this.queue = new NotificationQueue(init.maxPending);
    this.logger = init.logger;
    this.timeoutMs = init.timeoutMs;
    this.cse.events.on('resource', (e) => this.emit('resource', e));
    this.cse.events.on('notification', (e) => this.emit('notification', e));
    this.cse.events.on('attached', (e) => {
      void this.flush(e.originator, e.connectionId);
    });
    this.cse.setSink(this.sink());
  }

  /** The open connections. */
  connections(): ConnectionInfo[] {
    return [...this.sessions.values()].map((s) => s.info());
  }

  /** Notifications kept for `target` (normalized AE-ID / CSE-ID), or for everyone. */
  pendingNotifications(target?: string): number {
    return this.queue.size(target === undefined ? undefined : this.cse.normalize(target));
  }

  /** Closes every connection (1001) and stops listening. */
  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Takes a connection the WebSocket server accepted. */
  accept(ws: WebSocket, req: http.IncomingMessage): void {
    const id = `c${++this.seq}`;
    const peer = `${req.socket.remoteAddress ?? '?'}:${req.socket.remotePort ?? '?'}`;
    const origin = req.headers['x-m2m-origin'];
    const identifiedAs = typeof origin === 'string' && origin !== '' ? origin : undefined;
    const session = new Session({
      id,
      ws,
      peer,
      subprotocol: ws.protocol,
      identifiedAs,
      cse: this.cse,
      quirks: this.quirks,
      logger: this.logger,
      requestTimeoutMs: this.timeoutMs,
      onPrimitive: (e) => this.emit('primitive', e),
      onBadFrame: (e) => this.emit('badFrame', e),
      onQuirk: (e) => this.emit('quirk', e),
    });
    this.sessions.set(id, session);
    ws.on('error', (err) => {
      this.logger.warn('connection error', { peer, error: describeError(err) });
    });
    ws.on('close', (code, reason) => {
      session.dispose();
      this.sessions.delete(id);
      const gone = this.cse.detach(id);
      this.logger.info('connection closed', { peer, code, reason: reason.toString(), originators: gone });
      this.emit('disconnection', { id, peer, code, reason: reason.toString() });
    });
    this.logger.info('connection opened', { peer, subprotocol: ws.protocol, identifiedAs });
    this.emit('connection', session.info());
    // ACME identifies the connection by its handshake header: bind it at once.
    if (identifiedAs !== undefined && this.quirks.originHeaderIdentification)
      this.cse.attach(identifiedAs, id);
  }

  private sink(): NotificationSink {
    return {
      notify: (target, req, opts) => this.notify(target, req, opts.queueIfOffline),
      forward: async (cseId, req) => {
        const session = this.sessionOf(cseId);
        if (!session || !this.quirks.requestsOverLink) return undefined;
        // ACME forwards a discovery with its internal operation code.
        if (this.quirks.forwardDiscoveryAsOpMinus2 && isDiscovery(req))
          return session.request({ ...req, op: ACME_DISCOVERY_OP as RequestPrimitive['op'] });
        return session.request(req);
      },
    };
  }

  private sessionOf(originator: string): Session | undefined {
    const conn = this.cse.connectionOf(originator);
    const s = conn === undefined ? undefined : this.sessions.get(conn);
    return s?.isOpen ? s : undefined;
  }

  private async notify(target: string, req: RequestPrimitive, queueIfOffline: boolean): Promise<Delivery> {
    if (target.includes('://'))
      return { outcome: 'undeliverable', reason: 'this registrar does not dial out to URIs' };
    if (!this.quirks.requestsOverLink)
      return {
        outcome: 'undeliverable',
        reason: 'requests are never sent over the client connection (Mobius quirk)',
      };
    const session = this.sessionOf(target);
    if (session) {
      const rsp = await session.request(req, this.codecFor(session, target));
      return rsp
        ? { outcome: 'delivered', response: rsp }
        : { outcome: 'undeliverable', reason: 'no response' };
    }
    if (queueIfOffline && this.cse.registree(target)) {
      const dropped = this.queue.push(target, req);
      if (dropped) this.logger.warn('notification queue full: oldest dropped', { target, rqi: dropped.rqi });
      this.logger.info('notification kept until the registree reconnects', { target, rqi: req.rqi });
      return { outcome: 'queued' };
    }
    return { outcome: 'undeliverable', reason: `${target} is not connected` };
  }

  /** ACME sends JSON text frames on a CBOR link unless the AE's `csz` asks for CBOR. */
  private codecFor(session: Session, target: string): Codec {
    if (!this.quirks.jsonNotificationsOnCbor || session.codec.serialization !== 'cbor') return session.codec;
    const csz = this.cse.registree(target)?.csz;
    return Array.isArray(csz) && csz.includes('application/cbor') ? session.codec : jsonCodec;
  }

  /** Sends what was kept for `originator` now that it is on `connectionId` again. */
  private async flush(originator: string, connectionId: string): Promise<void> {
    const waiting = this.queue.take(originator);
    if (waiting.length === 0) return;
    this.logger.info('delivering kept notifications', { target: originator, count: waiting.length });
    for (const req of waiting) {
      const session = this.sessions.get(connectionId);
      let response: ResponsePrimitive | undefined;
      if (session?.isOpen) response = await session.request(req, this.codecFor(session, originator));
      const delivery: Delivery = response
        ? { outcome: 'delivered', response }
        : { outcome: 'undeliverable', reason: 'no response after reconnect' };
      this.emit('notification', { target: originator, request: req, delivery, late: true });
    }
  }

  private async shutdown(): Promise<void> {
    const closed = [...this.wss.clients].map(
      (ws) =>
        new Promise<void>((resolve) => {
          if (ws.readyState === ws.CLOSED) {
            resolve();
            return;
          }
          const timer = setTimeout(() => {
            ws.terminate();
          }, 1000);
          ws.once('close', () => {
            clearTimeout(timer);
            resolve();
          });
          ws.close(1001, 'registrar shutting down');
        }),
    );
    await Promise.all(closed);
    await new Promise<void>((resolve) => {
      this.wss.close(() => {
        resolve();
      });
    });
    await new Promise<void>((resolve) => {
      this.http.close(() => {
        resolve();
      });
      this.http.closeAllConnections();
    });
    await this.cse.idle();
  }
}

/** A RETRIEVE with `fc.fu` 1. */
function isDiscovery(req: RequestPrimitive): boolean {
  return req.op === Operation.Retrieve && req.fc?.fu === 1;
}
