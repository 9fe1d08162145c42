/**
 * A WebSocket server on 127.0.0.1 port 0 whose behaviour a test scripts (paho's testserver idea):
 * which subprotocol it selects (or none, or one never offered), how it answers primitives (echo,
 * out of order, late, never), requests it sends to the client, garbage or wrong-type frames,
 * ignored pings. Plus a raw TCP server for what `ws` would never send (bad accept, fragments).
 */
import { once } from 'node:events';
import http, { type IncomingHttpHeaders } from 'node:http';
import https from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { codecForSubprotocol, cborCodec, jsonCodec, type Codec } from '../../src/codec/index.js';
import {
  isRequest,
  responseTo,
  type Primitive,
  type RequestPrimitive,
  type ResponsePrimitive,
} from '../../src/protocol/primitive.js';

export interface ScriptedServerOptions {
  /** The reply's subprotocol: a name (offered or not), or false for none. Default: the first offered. */
  readonly selectProtocol?: (offered: readonly string[]) => string | false;
  /** Called for every primitive received. Default: `echoResponder`. */
  readonly onPrimitive?: (link: ServerLink, p: Primitive) => void;
  /** Refuse every upgrade with this HTTP status. */
  readonly rejectStatus?: number;
  /** Serve wss:// with these PEMs; `requestCert` makes the server require a client certificate. */
  readonly tls?: {
    readonly cert: string;
    readonly key: string;
    readonly ca?: string;
    readonly requestCert?: boolean;
    /** `TLSv1.2`: a refused client certificate is an alert inside the handshake (1.3: after it). */
    readonly maxVersion?: 'TLSv1.2' | 'TLSv1.3';
  };
  /** False: the server ignores pings (a peer that never pongs). Default true. */
  readonly autoPong?: boolean;
  readonly maxPayload?: number;
}

/** One accepted client connection, seen from the server. */
export class ServerLink {
  readonly received: Primitive[] = [];
  readonly raw: { data: Buffer; isBinary: boolean }[] = [];
  readonly undecodable: Buffer[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  private waiters: { n: number; resolve: () => void }[] = [];
  private pendingRequests = new Map<string, (r: ResponsePrimitive) => void>();

  constructor(
    readonly ws: WebSocket,
    readonly subprotocol: string,
    /** The handshake request's raw headers: [name, value, name, value, ...]. */
    readonly rawHeaders: readonly string[],
    readonly headers: IncomingHttpHeaders,
    onPrimitive: (link: ServerLink, p: Primitive) => void,
  ) {
    const codec = safeCodec(subprotocol);
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => undefined); // a test may provoke protocol errors on purpose
    ws.on('message', (data: Buffer, isBinary) => {
      this.raw.push({ data, isBinary });
      let p: Primitive | undefined;
      try {
        p = isBinary
          ? cborCodec.decode(data)
          : (codec && codec.frame === 'text' ? codec : jsonCodec).decode(data.toString());
      } catch {
        this.undecodable.push(data);
      }
      if (p) {
        this.received.push(p);
        const waiting = isRequest(p) ? undefined : this.pendingRequests.get(p.rqi);
        if (waiting) {
          this.pendingRequests.delete(p.rqi);
          waiting(p as ResponsePrimitive);
        } else {
          onPrimitive(this, p);
        }
      }
      this.wake();
    });
  }

  /** The codec of the selected subprotocol (JSON when none). */
  get codec(): Codec {
    return safeCodec(this.subprotocol) ?? jsonCodec;
  }

  /** Sends a primitive with the link's codec and frame type. */
  send(p: Primitive): void {
    const data = this.codec.encode(p);
    this.ws.send(data, { binary: this.codec.frame === 'binary' });
  }

  /** Sends raw bytes or text as one message of the given frame type. */
  sendRaw(data: string | Buffer, binary: boolean): void {
    this.ws.send(data, { binary });
  }

  /** Sends a request to the client and resolves with its response. */
  request(req: RequestPrimitive): Promise<ResponsePrimitive> {
    const p = new Promise<ResponsePrimitive>((resolve) => this.pendingRequests.set(req.rqi, resolve));
    this.send(req);
    return p;
  }

  /** Resolves once `n` messages (decodable or not) have arrived in total. */
  waitForMessages(n: number): Promise<void> {
    if (this.raw.length >= n) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ n, resolve }));
  }

  private wake(): void {
    const ready = this.waiters.filter((w) => this.raw.length >= w.n);
    this.waiters = this.waiters.filter((w) => this.raw.length < w.n);
    for (const w of ready) w.resolve();
  }
}

/** Answers each request with 2000, echoing `rqi`, `rvi` and `pc`. */
export function echoResponder(link: ServerLink, p: Primitive): void {
  if (isRequest(p)) link.send(responseTo(p, 2000, p.pc));
}

export class ScriptedServer {
  readonly links: ServerLink[] = [];
  private linkWaiters: ((l: ServerLink) => void)[] = [];

  private constructor(
    private readonly http: http.Server,
    private readonly wss: WebSocketServer,
    readonly url: string,
    readonly port: number,
  ) {}

  static async start(opts: ScriptedServerOptions = {}): Promise<ScriptedServer> {
    const httpServer = opts.tls
      ? https.createServer({
          cert: opts.tls.cert,
          key: opts.tls.key,
          ...(opts.tls.ca ? { ca: opts.tls.ca } : {}),
          requestCert: opts.tls.requestCert ?? false,
          rejectUnauthorized: opts.tls.requestCert ?? false,
          ...(opts.tls.maxVersion ? { maxVersion: opts.tls.maxVersion } : {}),
        })
      : http.createServer();
    const wss = new WebSocketServer({
      server: httpServer,
      autoPong: opts.autoPong ?? true,
      maxPayload: opts.maxPayload ?? 100 * 1024 * 1024,
      handleProtocols: (protocols) => {
        const offered = [...protocols];
        return opts.selectProtocol ? opts.selectProtocol(offered) : (offered[0] ?? false);
      },
      ...(opts.rejectStatus !== undefined
        ? {
            verifyClient: (_info, cb) => {
              cb(false, opts.rejectStatus, 'refused by test');
            },
          }
        : {}),
    });
    httpServer.listen(0, '127.0.0.1');
    await once(httpServer, 'listening');
    const port = (httpServer.address() as AddressInfo).port;
    const server = new ScriptedServer(
      httpServer,
      wss,
      `${opts.tls ? 'wss' : 'ws'}://127.0.0.1:${port}/`,
      port,
    );
    wss.on('connection', (ws, req) => {
      const link = new ServerLink(
        ws,
        ws.protocol,
        req.rawHeaders,
        req.headers,
        opts.onPrimitive ?? echoResponder,
      );
      server.links.push(link);
      const waiters = server.linkWaiters;
      server.linkWaiters = [];
      for (const w of waiters) w(link);
    });
    return server;
  }

  /** The next (or an already) accepted connection: `index` 0 is the first. */
  link(index = 0): Promise<ServerLink> {
    const l = this.links[index];
    if (l) return Promise.resolve(l);
    return new Promise((resolve) => {
      const check = (): void => {
        const found = this.links[index];
        if (found) resolve(found);
        else this.linkWaiters.push(check);
      };
      this.linkWaiters.push(check);
    });
  }

  /** Drops every client and stops listening. */
  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => {
      this.wss.close(() => {
        resolve();
      });
    });
    this.http.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.http.close(() => {
        resolve();
      }),
    );
  }
}

function safeCodec(name: string): Codec | undefined {
  try {
    return name ? codecForSubprotocol(name) : undefined;
  } catch {
    return undefined;
  }
}

/** A raw TCP server: the test writes the HTTP reply and frames itself. */
export class RawServer {
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    readonly sockets: readonly net.Socket[],
  ) {}

  /** `onUpgrade` gets the socket and the parsed request headers (lower-case names). */
  static async start(
    onUpgrade: (socket: net.Socket, headers: Record<string, string>) => void,
  ): Promise<RawServer> {
    const sockets: net.Socket[] = [];
    const server = net.createServer((socket) => {
      sockets.push(socket);
      socket.on('error', () => undefined);
      let head = '';
      const onData = (chunk: Buffer): void => {
        head += chunk.toString('latin1');
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        socket.off('data', onData);
        const headers: Record<string, string> = {};
        for (const line of head.slice(0, end).split('\r\n').slice(1)) {
          const i = line.indexOf(':');
          if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
        }
        onUpgrade(socket, headers);
      };
      socket.on('data', onData);
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return new RawServer(server, (server.address() as AddressInfo).port, sockets);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }
}

/** The 101 reply a raw server writes (accept value and subprotocol as the test wants them). */
export function upgradeReply(accept: string, protocol?: string): string {
  return (
    'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
    `Sec-WebSocket-Accept: ${accept}\r\n` +
    (protocol ? `Sec-WebSocket-Protocol: ${protocol}\r\n` : '') +
    '\r\n'
  );
}

/** One unmasked server-to-client frame (RFC 6455 5.2). `fin` false starts or continues a fragmented message. */
export function serverFrame(opcode: number, payload: Buffer, fin = true): Buffer {
  const len = payload.length;
  const head =
    len < 126
      ? Buffer.from([(fin ? 0x80 : 0) | opcode, len])
      : len < 65536
        ? Buffer.from([(fin ? 0x80 : 0) | opcode, 126, len >> 8, len & 0xff])
        : Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, 127]), u64(len)]);
  return Buffer.concat([head, payload]);
}

function u64(n: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(BigInt(n));
  return b;
}
