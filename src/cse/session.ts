/**
 * One client connection of the registrar: decodes each message (liberally: a JSON text frame on a
 * CBOR link is read as JSON), hands requests to the CSE and answers them, matches responses to
 * the requests the registrar sent, and never lets a bad message take more than this connection
 * down (TS-0020 defines no close codes; RFC 6455: 1003 unacceptable type, 1007 bad payload).
 */
import { Rsc } from '../protocol/codes.js';
import type { RawData, WebSocket } from 'ws';
import { cborCodec, codecForSubprotocol, jsonCodec, type Codec } from '../codec/index.js';
import { recoverRqi } from '../codec/json.js';
import {
  isResponse,
  type Primitive,
  type RequestPrimitive,
  type ResponsePrimitive,
} from '../protocol/primitive.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { Cse } from './cse.js';
import type { Quirks } from './quirks.js';
import type { BadFrameEvent, ConnectionInfo, PrimitiveEvent, QuirkEvent } from './registrar-events.js';

export interface SessionOptions {
  readonly id: string;
  readonly ws: WebSocket;
  readonly peer: string;
  readonly subprotocol: string;
  readonly identifiedAs: string | undefined;
  readonly cse: Cse;
  readonly quirks: Quirks;
  readonly logger: Logger;
  /** How long to wait for the answer to a request the registrar sends (ACME: 10 s). */
  readonly requestTimeoutMs: number;
  readonly onPrimitive: (e: PrimitiveEvent) => void;
  readonly onBadFrame: (e: BadFrameEvent) => void;
  readonly onQuirk: (e: QuirkEvent) => void;
}

interface Pending {
  readonly resolve: (rsp: ResponsePrimitive | undefined) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export class Session {
  readonly id: string;
  readonly peer: string;
  readonly subprotocol: string;
  readonly codec: Codec;
  readonly identifiedAs: string | undefined;
  readonly openedAtMs = Date.now();
  private received = 0;
  private sent = 0;
  private inProgress = 0;
  /** Mobius reordering: responses held until the later pipelined request has been answered. */
  private readonly held: ResponsePrimitive[] = [];
  private readonly pending = new Map<string, Pending>();
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private pongTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly o: SessionOptions) {
    this.id = o.id;
    this.peer = o.peer;
    this.subprotocol = o.subprotocol;
    this.identifiedAs = o.identifiedAs;
    this.codec = codecForSubprotocol(o.subprotocol);
    o.ws.on('message', (data, isBinary) => {
      this.onMessage(toBuffer(data), isBinary);
    });
    o.ws.on('pong', () => {
      if (this.pongTimer) clearTimeout(this.pongTimer);
      this.pongTimer = undefined;
    });
    if (o.quirks.pingIntervalMs > 0) this.startPings(o.quirks.pingIntervalMs, o.quirks.pongTimeoutMs);
  }

  get isOpen(): boolean {
    return this.o.ws.readyState === this.o.ws.OPEN;
  }

  info(): ConnectionInfo {
    return {
      id: this.id,
      peer: this.peer,
      subprotocol: this.subprotocol,
      identifiedAs: this.identifiedAs,
      originators: this.o.cse.originatorsOn(this.id),
      openedAtMs: this.openedAtMs,
      received: this.received,
      sent: this.sent,
    };
  }

  /**
   * Sends a request to the client and resolves with its response, or undefined after
   * `requestTimeoutMs` or when the connection closes. `codec` overrides the link's (ACME's JSON
   * notifications on a CBOR link).
   */
  request(req: RequestPrimitive, codec: Codec = this.codec): Promise<ResponsePrimitive | undefined> {
    if (!this.isOpen) return Promise.resolve(undefined);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pending.delete(req.rqi);
        this.o.logger.warn('no response to our request', { peer: this.peer, rqi: req.rqi, to: req.to });
        resolve(undefined);
      }, this.o.requestTimeoutMs);
      this.pending.set(req.rqi, { resolve, timer });
      this.send(req, codec);
    });
  }

  /** Stops timers and settles what is waiting; called when the socket has closed. */
  dispose(): void {
    if (this.pingTimer) clearInterval(this.pingTimer);
    if (this.pongTimer) clearTimeout(this.pongTimer);
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.resolve(undefined);
    }
    this.pending.clear();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    this.received++;
    const bytes = data.length;
    if (isBinary && this.codec.frame === 'text' && this.o.quirks.binaryFrames === 'reject') {
      this.refuseFrame(bytes, 'binary frames are not accepted on this link', rqiOfBinary(data), 1003);
      return;
    }
    // Liberal: a text frame on a CBOR link is JSON; a binary frame on a text link is that text's bytes.
    const codec = !isBinary && this.codec.frame === 'binary' ? jsonCodec : this.codec;
    let primitive: Primitive;
    try {
      primitive = codec.decode(
        isBinary ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : data.toString('utf8'),
      );
    } catch (err) {
      const rqi = (err as { rqi?: unknown }).rqi;
      this.refuseFrame(bytes, describeError(err), typeof rqi === 'string' ? rqi : undefined, 1007);
      return;
    }
    this.observe('in', bytes, primitive);
    if (isResponse(primitive)) {
      const p = this.pending.get(primitive.rqi);
      if (!p) {
        this.o.logger.warn('response with unknown rqi dropped', { peer: this.peer, rqi: primitive.rqi });
        this.o.onBadFrame({
          connectionId: this.id,
          peer: this.peer,
          bytes,
          error: `unknown rqi ${primitive.rqi}`,
          action: 'dropped',
        });
        return;
      }
      clearTimeout(p.timer);
      this.pending.delete(primitive.rqi);
      p.resolve(primitive);
      return;
    }
    void this.serve(primitive);
  }

  private async serve(req: RequestPrimitive): Promise<void> {
    const pipelined = this.inProgress > 0;
    const mode = this.o.quirks.pipelining;
    if (pipelined && mode === 'drop') {
      this.o.logger.warn('pipelined request dropped (ACME quirk)', { peer: this.peer, rqi: req.rqi });
      this.o.onQuirk({ connectionId: this.id, quirk: 'pipelining', detail: `dropped ${req.rqi}` });
      return;
    }
    this.inProgress++;
    try {
      const runs = pipelined && mode === 'duplicate' ? 2 : 1;
      if (runs === 2)
        this.o.onQuirk({ connectionId: this.id, quirk: 'pipelining', detail: `executed ${req.rqi} twice` });
      for (let i = 0; i < runs; i++) {
        const rsp = await this.o.cse.handle(req, { connectionId: this.id, identifiedAs: this.identifiedAs });
        this.answer(rsp, mode === 'reorder');
      }
    } catch (err) {
      this.o.logger.error('request handling failed', {
        peer: this.peer,
        rqi: req.rqi,
        error: describeError(err),
      });
    } finally {
      this.inProgress--;
      if (this.inProgress === 0) this.flushHeld();
    }
  }

  private answer(rsp: ResponsePrimitive, reorder: boolean): void {
    if (reorder && this.inProgress > 1) {
      this.o.onQuirk({
        connectionId: this.id,
        quirk: 'pipelining',
        detail: `held ${rsp.rqi} behind a later request`,
      });
      this.held.push(rsp);
      return;
    }
    this.send(rsp, this.codec);
  }

  private flushHeld(): void {
    while (this.held.length > 0) {
      const rsp = this.held.pop();
      if (rsp) this.send(rsp, this.codec);
    }
  }

  private send(p: Primitive, codec: Codec): void {
    if (!this.isOpen) {
      this.o.logger.warn('connection closed before a primitive could be sent', {
        peer: this.peer,
        rqi: p.rqi,
      });
      return;
    }
    let payload: string | Uint8Array;
    try {
      payload = codec.encode(p);
    } catch (err) {
      this.o.logger.error('could not encode a primitive', {
        peer: this.peer,
        rqi: p.rqi,
        error: describeError(err),
      });
      this.o.ws.close(1011, 'encoding failed');
      return;
    }
    const bytes = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
    this.o.ws.send(payload, { binary: codec.frame === 'binary' });
    this.sent++;
    this.observe('out', bytes, p);
  }

  private observe(direction: 'in' | 'out', bytes: number, p: Primitive): void {
    const what = isResponse(p) ? { rsc: p.rsc } : { op: p.op, to: p.to, fr: p.fr };
    this.o.logger.info(direction === 'in' ? 'received' : 'sent', {
      peer: this.peer,
      subprotocol: this.subprotocol,
      bytes,
      rqi: p.rqi,
      ...what,
    });
    this.o.onPrimitive({
      direction,
      connectionId: this.id,
      peer: this.peer,
      subprotocol: this.subprotocol,
      bytes,
      primitive: p,
    });
  }

  /** Answers 4000 when the request id could be recovered, else closes this connection only. */
  private refuseFrame(bytes: number, error: string, rqi: string | undefined, closeCode: 1003 | 1007): void {
    this.o.logger.warn('bad message', { peer: this.peer, subprotocol: this.subprotocol, bytes, error });
    if (rqi !== undefined) {
      this.o.onBadFrame({ connectionId: this.id, peer: this.peer, bytes, error, action: 'answered' });
      this.send(
        { rsc: Rsc.BAD_REQUEST, rqi, rvi: this.o.quirks.responseRvi ?? '3', pc: { 'm2m:dbg': error } },
        this.codec,
      );
      return;
    }
    this.o.onBadFrame({ connectionId: this.id, peer: this.peer, bytes, error, action: 'closed' });
    this.o.ws.close(closeCode, closeCode === 1003 ? 'unacceptable frame type' : 'undecodable primitive');
  }

  private startPings(intervalMs: number, pongTimeoutMs: number): void {
    this.pingTimer = setInterval(() => {
      if (!this.isOpen || this.pongTimer) return;
      this.o.ws.ping();
      this.pongTimer = setTimeout(() => {
        this.o.logger.warn('no pong: dropping the connection', { peer: this.peer });
        this.o.ws.terminate();
      }, pongTimeoutMs);
    }, intervalMs);
  }
}

/** Best effort: the `rqi` of a binary message (CBOR, or JSON bytes), so that it can be answered. */
function rqiOfBinary(data: Buffer): string | undefined {
  try {
    return cborCodec.decode(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).rqi;
  } catch {
    // Not CBOR: try JSON text. The caller logs the refused frame either way.
    return recoverRqi(data.toString('utf8'));
  }
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}
