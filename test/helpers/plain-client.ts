/**
 * An independent oneM2M WebSocket client for tests, built on plain `ws` and the codecs only (not
 * on the agent's binding), so that the registrar and the binding are never checked against each
 * other's mistakes. It correlates responses by `rqi`, answers requests from the server (2000 by
 * default, or whatever `onRequest` returns), and records every message with its frame type.
 */
import { WebSocket } from 'ws';
import { codecForSubprotocol, jsonCodec, type Codec } from '../../src/codec/index.js';
import {
  isResponse,
  type Primitive,
  type RequestPrimitive,
  type ResponsePrimitive,
} from '../../src/protocol/primitive.js';

export interface PlainClientOptions {
  /** Subprotocols to offer (sent by `ws` as one comma-separated header). */
  readonly protocols: string | readonly string[];
  /** Extra handshake headers (`X-M2M-Origin`). */
  readonly headers?: Readonly<Record<string, string>>;
  /** PEM CA for `wss://`. */
  readonly ca?: string | Buffer;
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /**
   * Answers a request from the server; undefined = do not answer. Default: 2000 with the same
   * `rqi`/`rvi`.
   */
  readonly onRequest?: (
    req: RequestPrimitive,
  ) => ResponsePrimitive | undefined | Promise<ResponsePrimitive | undefined>;
}

/** One received message: the decoded primitive (if it decoded) and its frame type. */
export interface Received {
  readonly primitive: Primitive | undefined;
  readonly binary: boolean;
  readonly bytes: number;
}

export interface CloseResult {
  readonly code: number;
  readonly reason: string;
}

export class PlainClient {
  readonly received: Received[] = [];
  /** Requests the server sent us (notifications), in arrival order. */
  readonly requests: RequestPrimitive[] = [];
  readonly codec: Codec;
  readonly closed: Promise<CloseResult>;
  private readonly pending = new Map<string, (rsp: ResponsePrimitive) => void>();
  private readonly waiters: (() => void)[] = [];
  private seq = 0;

  private constructor(
    readonly ws: WebSocket,
    private readonly opts: PlainClientOptions,
  ) {
    this.codec = codecForSubprotocol(ws.protocol);
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.wake();
      });
    });
    ws.on('message', (data, isBinary) => {
      this.onMessage(data as Buffer, isBinary);
    });
  }

  /** The subprotocol the server selected. */
  get protocol(): string {
    return this.ws.protocol;
  }

  /** Opens a connection; rejects with the `ws` error (e.g. "Unexpected server response: 400"). */
  static connect(url: string, opts: PlainClientOptions): Promise<PlainClient> {
    const protocols = typeof opts.protocols === 'string' ? [opts.protocols] : [...opts.protocols];
    const ws = new WebSocket(url, protocols, {
      headers: opts.headers,
      ca: opts.ca,
      cert: opts.cert,
      key: opts.key,
    });
    return new Promise((resolve, reject) => {
      ws.once('open', () => {
        ws.off('error', reject);
        ws.on('error', () => undefined);
        resolve(new PlainClient(ws, opts));
      });
      ws.once('error', reject);
    });
  }

  /** A fresh request identifier. */
  rqi(): string {
    return `t${++this.seq}`;
  }

  /** Sends a request and resolves with the response carrying its `rqi`. */
  request(req: RequestPrimitive, timeoutMs = 5000): Promise<ResponsePrimitive> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(req.rqi);
        reject(new Error(`no response to ${req.rqi} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(req.rqi, (rsp) => {
        clearTimeout(timer);
        resolve(rsp);
      });
      this.send(req);
    });
  }

  /** Sends a primitive in the link's serialization, without waiting. */
  send(p: Primitive, codec: Codec = this.codec): void {
    this.ws.send(codec.encode(p), { binary: codec.frame === 'binary' });
  }

  /** Sends raw bytes or text as one message. */
  sendRaw(data: string | Uint8Array, binary: boolean): void {
    this.ws.send(data, { binary });
  }

  /** Waits until a request from the server matches `pred` (checks earlier ones too). */
  async nextRequest(
    pred: (r: RequestPrimitive) => boolean = () => true,
    timeoutMs = 5000,
  ): Promise<RequestPrimitive> {
    return this.waitFor(() => this.requests.find(pred), timeoutMs, 'a request from the server');
  }

  /** Waits until `probe` returns something, re-checking on every message; rejects after `timeoutMs`. */
  async waitFor<T>(probe: () => T | undefined, timeoutMs: number, what: string): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = probe();
      if (hit !== undefined) return hit;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Closes and waits for the close to complete. */
  async close(code = 1000): Promise<CloseResult> {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING)
      this.ws.close(code);
    return this.closed;
  }

  private onMessage(data: Buffer, binary: boolean): void {
    let primitive: Primitive | undefined;
    try {
      // Like the agent: a text frame on a CBOR link is JSON (ACME sends notifications that way).
      const codec = !binary && this.codec.frame === 'binary' ? jsonCodec : this.codec;
      primitive = codec.decode(binary ? new Uint8Array(data) : data.toString('utf8'));
    } catch (err) {
      process.stderr.write(`plain-client: undecodable message (${String(err)})\n`);
    }
    this.received.push({ primitive, binary, bytes: data.length });
    if (primitive && isResponse(primitive)) {
      const done = this.pending.get(primitive.rqi);
      this.pending.delete(primitive.rqi);
      done?.(primitive);
    } else if (primitive) {
      this.requests.push(primitive);
      void this.answer(primitive);
    }
    this.wake();
  }

  private async answer(req: RequestPrimitive): Promise<void> {
    const rsp = this.opts.onRequest
      ? await this.opts.onRequest(req)
      : { rsc: 2000, rqi: req.rqi, ...(req.rvi === undefined ? {} : { rvi: req.rvi }) };
    if (rsp && this.ws.readyState === WebSocket.OPEN) this.send(rsp);
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
