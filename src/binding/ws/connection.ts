/**
 * An open oneM2M WebSocket link (TS-0020): requests and responses flow both ways on it. Outgoing
 * requests are correlated by `rqi`; incoming requests go to the handler and its answer is sent
 * back; bad input is answered or closed with the right code and never crashes the process.
 */
import WebSocket from 'ws';
import type { Codec, Serialization } from '../../codec/index.js';
import { Rsc } from '../../protocol/codes.js';
import {
  errorResponse,
  isResponse,
  type Primitive,
  type RequestPrimitive,
  type ResponsePrimitive,
} from '../../protocol/primitive.js';
import type { Clock } from '../../util/clock.js';
import { describeError, errCode } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { Correlator } from './correlator.js';
import { WsLinkClosedError, WsMessageTooLargeError, WsProtocolError, type WsError } from './errors.js';
import { answerRequest, decodeFrame, type DecodedFrame } from './incoming.js';
import { Liveness } from './liveness.js';
import type { CloseInfo, Connection, FrameObserver, RequestHandler, RequestOptions } from './types.js';

/** What a connection needs once the handshake is done (filled in by `connect`). */
export interface ConnectionSetup {
  readonly ws: WebSocket;
  readonly subprotocol: string;
  readonly codec: Codec;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly maxMessageBytes: number;
  readonly requestTimeoutMs: number;
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  readonly onRequest: RequestHandler | undefined;
  readonly onFrame: FrameObserver | undefined;
}

/** An encoded message ready for `ws.send`. */
export interface OutgoingFrame {
  readonly data: Buffer;
  readonly binary: boolean;
  /** Payload bytes (what `maxMessageBytes` limits). */
  readonly bytes: number;
}

/**
 * Encodes one primitive for the link's codec; codec errors propagate. TS-0020 6: one primitive per
 * message, `oneM2M.cbor` in binary frames, `oneM2M.json` / `oneM2M.xml` in text frames.
 */
export function encodeFrame(codec: Codec, p: Primitive): OutgoingFrame {
  const out = codec.encode(p);
  const data =
    typeof out === 'string'
      ? Buffer.from(out, 'utf8')
      : Buffer.from(out.buffer, out.byteOffset, out.byteLength);
  return { data, binary: codec.frame === 'binary', bytes: data.length };
}

/** Default time `close()` waits for in-flight requests. */
export const DEFAULT_CLOSE_GRACE_MS = 2000;

/** `Connection` over an open `ws` socket. */
export class WsConnection implements Connection {
  readonly subprotocol: string;
  readonly codec: Codec;
  readonly compression?: string;
  readonly closed: Promise<CloseInfo>;
  private readonly ws: WebSocket;
  private readonly s: ConnectionSetup;
  private readonly correlator: Correlator;
  private readonly liveness: Liveness;
  private closing = false;
  private corked = false;
  private localClose = false;
  private fault: Error | undefined;
  private resolveClosed!: (info: CloseInfo) => void;

  constructor(setup: ConnectionSetup) {
    this.s = setup;
    this.ws = setup.ws;
    this.subprotocol = setup.subprotocol;
    this.codec = setup.codec;
    // ws keeps the accepted extensions as the raw header value (`permessage-deflate; ...`).
    const extensions = typeof this.ws.extensions === 'string' ? this.ws.extensions : '';
    if (extensions.startsWith('permessage-deflate')) this.compression = 'permessage-deflate';
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.correlator = new Correlator({ clock: setup.clock, logger: setup.logger });
    this.liveness = new Liveness({
      clock: setup.clock,
      pingIntervalMs: setup.pingIntervalMs,
      pongTimeoutMs: setup.pongTimeoutMs,
      ping: () => {
        this.ws.ping();
      },
      onDead: (err) => {
        // A half-open link would never complete a close handshake: drop the socket at once.
        this.s.logger.warn('no pong: dropping the link', {
          code: err.code,
          pongTimeoutMs: setup.pongTimeoutMs,
        });
        this.fail(err, undefined);
      },
    });
    this.ws.on('message', (data, isBinary) => {
      this.onMessage(data, isBinary);
    });
    this.ws.on('pong', () => {
      this.liveness.pong();
    });
    this.ws.on('error', (err) => {
      this.onSocketError(err);
    });
    this.ws.on('close', (code, reason) => {
      this.onClose(code, reason.toString('utf8'));
    });
    this.liveness.start();
  }

  get serialization(): Serialization {
    return this.codec.serialization;
  }

  get inFlight(): number {
    return this.correlator.size;
  }

  get isOpen(): boolean {
    return !this.closing && this.ws.readyState === WebSocket.OPEN;
  }

  request(req: RequestPrimitive, opts: RequestOptions = {}): Promise<ResponsePrimitive> {
    if (!this.isOpen)
      return Promise.reject(new WsLinkClosedError(undefined, this.closing ? 'closing' : 'not open'));
    let frame: OutgoingFrame;
    try {
      frame = this.frameOf(req);
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // wait() rejects duplicates and already-aborted signals without registering anything.
    const registered = !this.correlator.has(req.rqi) && !opts.signal?.aborted;
    const response = this.correlator.wait(req.rqi, {
      timeoutMs: opts.timeoutMs ?? this.s.requestTimeoutMs,
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (registered) {
      this.send(frame, req, (err) => {
        this.correlator.reject(req.rqi, new WsLinkClosedError(undefined, 'send failed', err));
      });
    }
    return response;
  }

  async close(code = 1000, reason = '', graceMs = DEFAULT_CLOSE_GRACE_MS): Promise<CloseInfo> {
    if (this.closing || this.ws.readyState !== WebSocket.OPEN) return this.closed;
    this.closing = true;
    this.localClose = true;
    if (this.correlator.size > 0 && graceMs > 0) {
      let timer: ReturnType<Clock['setTimeout']> | undefined;
      const grace = new Promise<void>((resolve) => (timer = this.s.clock.setTimeout(resolve, graceMs)));
      await Promise.race([this.correlator.idle(), grace, this.closed]);
      if (timer !== undefined) this.s.clock.clearTimeout(timer);
    }
    if (this.ws.readyState === WebSocket.OPEN) {
      try {
        this.ws.close(code, reason);
      } catch (err) {
        // ws refuses codes a sender may not use (1005, 1006, ...): close anyway, and say why.
        this.s.logger.warn('invalid close code, closing with 1000', {
          closeCode: code,
          error: describeError(err),
        });
        this.ws.close(1000, reason);
      }
    }
    return this.closed;
  }

  /** `p` as a message for this link; throws a codec error, or `WS_MESSAGE_TOO_LARGE`. */
  private frameOf(p: Primitive): OutgoingFrame {
    const frame = encodeFrame(this.codec, p);
    if (frame.bytes > this.s.maxMessageBytes)
      throw new WsMessageTooLargeError('out', this.s.maxMessageBytes, frame.bytes);
    return frame;
  }

  private send(frame: OutgoingFrame, p: Primitive, onError: (err: Error) => void): void {
    this.cork();
    this.ws.send(frame.data, { binary: frame.binary }, (err) => {
      if (err) onError(err);
    });
    this.observe('out', frame.bytes, p);
  }

  /**
   * Frames sent in the same tick (a pipelined drain sends many) leave in one write: the socket is
   * corked until the next tick. Fewer syscalls and TCP segments, which a cellular link bills.
   */
  private cork(): void {
    if (this.corked) return;
    const socket = (this.ws as unknown as { _socket?: { cork(): void; uncork(): void } })._socket;
    if (!socket) return;
    this.corked = true;
    socket.cork();
    process.nextTick(() => {
      this.corked = false;
      socket.uncork();
    });
  }

  private onMessage(data: WebSocket.RawData, isBinary: boolean): void {
    const decoded = decodeFrame(this.codec, this.subprotocol, data, isBinary);
    if (!decoded.ok) {
      this.onBadMessage(decoded);
      return;
    }
    const p = decoded.primitive;
    this.observe('in', decoded.bytes, p);
    if (isResponse(p)) this.correlator.resolve(p);
    else void this.answer(p);
  }

  private onBadMessage(d: Extract<DecodedFrame, { ok: false }>): void {
    const fields = { code: d.error.code, bytes: d.bytes, rqi: d.rqi, error: d.error.message };
    if (d.closeCode === 1007 && d.rqi !== undefined) {
      if (this.correlator.has(d.rqi)) {
        // Most likely our request's response, broken: fail that request now rather than at its
        // timeout. A response is never answered (TS-0004 6.4), so no 4000 goes back.
        this.s.logger.warn('undecodable response', fields);
        this.correlator.reject(d.rqi, d.error);
        return;
      }
      this.s.logger.warn('undecodable request answered 4000', fields);
      this.sendResponse(
        errorResponse({ rqi: d.rqi }, Rsc.BAD_REQUEST, `undecodable primitive: ${d.error.message}`),
      );
      return;
    }
    this.s.logger.warn(
      d.closeCode === 1003 ? 'wrong frame type: closing' : 'undecodable message: closing',
      fields,
    );
    this.fail(d.error, d.closeCode);
  }

  private async answer(req: RequestPrimitive): Promise<void> {
    this.sendResponse(await answerRequest(this.s.onRequest, req, this.s.logger));
  }

  /** Sends a response if the socket still allows it; failures are logged, never thrown. */
  private sendResponse(rsp: ResponsePrimitive): void {
    if (this.ws.readyState !== WebSocket.OPEN) {
      this.s.logger.warn('response not sent: link closed', {
        code: 'WS_LINK_CLOSED',
        rqi: rsp.rqi,
        rsc: rsp.rsc,
      });
      return;
    }
    let frame: OutgoingFrame;
    try {
      frame = this.frameOf(rsp);
    } catch (err) {
      this.s.logger.error('response cannot be sent: answering 5000', {
        rqi: rsp.rqi,
        error: describeError(err),
      });
      if (rsp.rsc === Rsc.INTERNAL_SERVER_ERROR) return;
      this.sendResponse(errorResponse(rsp, Rsc.INTERNAL_SERVER_ERROR, 'response could not be encoded'));
      return;
    }
    this.send(frame, rsp, (err) => {
      this.s.logger.warn('response not sent', { code: 'WS_LINK_CLOSED', rqi: rsp.rqi, error: err.message });
    });
  }

  private observe(direction: 'in' | 'out', bytes: number, primitive: Primitive): void {
    const observer = this.s.onFrame;
    if (!observer) return;
    try {
      observer({ direction, bytes, primitive });
    } catch (err) {
      this.s.logger.warn('frame observer threw', { error: describeError(err) });
    }
  }

  /** Ends the link because of a fault: with a close frame (`code`), or by dropping the socket. */
  private fail(err: WsError, code: number | undefined): void {
    this.fault ??= err;
    this.closing = true;
    this.localClose = true;
    this.liveness.stop();
    if (code === undefined) this.ws.terminate();
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.close(code, err.code);
  }

  /** `ws` reports peer protocol violations (it then closes itself) and socket failures here. */
  private onSocketError(err: Error & { code?: string }): void {
    let mapped: WsError;
    if (
      err.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ||
      err.code === 'WS_ERR_UNSUPPORTED_DATA_PAYLOAD_LENGTH'
    ) {
      // RFC 6455 7.4.1: ws has closed with 1009.
      mapped = new WsMessageTooLargeError('in', this.s.maxMessageBytes);
    } else {
      mapped = new WsProtocolError(err.code, err.message, err);
    }
    if (err.code?.startsWith('WS_ERR_')) this.localClose = true;
    this.s.logger.warn('link error', { code: mapped.code, detail: err.code, error: err.message });
    this.fault ??= mapped;
  }

  private onClose(code: number, reason: string): void {
    this.closing = true;
    this.liveness.stop();
    const info: CloseInfo = {
      code,
      reason,
      local: this.localClose,
      ...(this.fault ? { error: this.fault } : {}),
    };
    this.correlator.rejectAll(new WsLinkClosedError(code, reason, this.fault));
    const level = this.fault ? 'warn' : 'info';
    this.s.logger[level]('link closed', {
      closeCode: code,
      reason,
      local: info.local,
      code: this.fault ? errCode(this.fault) : undefined,
    });
    this.resolveClosed(info);
  }
}
