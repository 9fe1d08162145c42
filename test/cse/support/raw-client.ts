/**
 * A raw WebSocket client over `net` for what `ws` will not do: send the subprotocol offer as
 * several `Sec-WebSocket-Protocol` headers, see the HTTP refusal of a handshake, put several
 * frames in one TCP write (deterministic pipelining), and send malformed frames.
 */
import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';

export interface HandshakeResult {
  readonly status: number;
  /** Header names lower-cased; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Open only after a 101. */
  readonly client: RawClient | undefined;
}

/** A frame from the server. */
export interface RawFrame {
  readonly opcode: number;
  readonly payload: Buffer;
}

/** Performs an opening handshake with the given extra headers, in order. */
export function rawHandshake(
  port: number,
  headers: readonly (readonly [string, string])[],
): Promise<HandshakeResult> {
  const key = randomBytes(16).toString('base64');
  const lines = [
    'GET / HTTP/1.1',
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
    ...headers.map(([k, v]) => `${k}: ${v}`),
  ];
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      const head = buf.subarray(0, end).toString('latin1').split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(head[0] ?? '')?.[1] ?? 0);
      const hdrs: Record<string, string> = {};
      for (const line of head.slice(1)) {
        const i = line.indexOf(':');
        const name = line.slice(0, i).trim().toLowerCase();
        const value = line.slice(i + 1).trim();
        hdrs[name] = hdrs[name] === undefined ? value : `${hdrs[name]}, ${value}`;
      }
      const rest = buf.subarray(end + 4);
      socket.off('data', onData);
      if (status === 101) {
        const expected = createHash('sha1')
          .update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`)
          .digest('base64');
        if (hdrs['sec-websocket-accept'] !== expected) reject(new Error('bad Sec-WebSocket-Accept'));
        resolve({ status, headers: hdrs, body: '', client: new RawClient(socket, rest) });
      } else {
        // Refusals carry a short body; read until the server closes.
        let body = rest.toString('utf8');
        socket.on('data', (c: Buffer) => (body += c.toString('utf8')));
        socket.on('close', () => {
          resolve({ status, headers: hdrs, body, client: undefined });
        });
      }
    };
    socket.on('data', onData);
    socket.on('error', reject);
    socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  });
}

/** Encodes one masked client frame (RFC 6455 5.2). */
export function clientFrame(opcode: number, payload: Uint8Array | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : Buffer.from(payload);
  const mask = randomBytes(4);
  let header: Buffer;
  if (data.length < 126) {
    header = Buffer.from([0x80 | opcode, 0x80 | data.length]);
  } else if (data.length < 65536) {
    header = Buffer.alloc(4);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 126;
    header.writeUInt16BE(data.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = 0x80 | opcode;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(BigInt(data.length), 2);
  }
  const masked = Buffer.from(data);
  for (let i = 0; i < masked.length; i++) masked[i] = (masked[i] ?? 0) ^ (mask[i % 4] ?? 0);
  return Buffer.concat([header, mask, masked]);
}

/** The socket after a successful handshake: writes frames, parses the server's (unmasked) ones. */
export class RawClient {
  readonly frames: RawFrame[] = [];
  readonly closed: Promise<void>;
  private buf: Buffer;
  private waiters: (() => void)[] = [];

  constructor(
    readonly socket: net.Socket,
    initial: Buffer,
  ) {
    this.buf = initial;
    this.closed = new Promise((resolve) =>
      socket.on('close', () => {
        resolve();
        this.wake();
      }),
    );
    socket.on('data', (c: Buffer) => {
      this.buf = Buffer.concat([this.buf, c]);
      this.parse();
    });
    socket.on('error', () => undefined);
    this.parse();
  }

  /** Writes several frames in a single TCP write, so the server reads them in one go. */
  writeFrames(frames: readonly Buffer[]): void {
    this.socket.write(Buffer.concat(frames));
  }

  /** Waits for the n-th frame (0-based) from the server. */
  async frame(n: number, timeoutMs = 5000): Promise<RawFrame> {
    const deadline = Date.now() + timeoutMs;
    while (this.frames.length <= n) {
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.destroyed) throw new Error(`no frame #${n} from the server`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    const f = this.frames[n];
    if (!f) throw new Error('unreachable');
    return f;
  }

  destroy(): void {
    this.socket.destroy();
  }

  private parse(): void {
    for (;;) {
      if (this.buf.length < 2) break;
      const b0 = this.buf[0] ?? 0;
      const b1 = this.buf[1] ?? 0;
      let len = b1 & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) break;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) break;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) break;
      this.frames.push({ opcode: b0 & 0x0f, payload: Buffer.from(this.buf.subarray(off, off + len)) });
      this.buf = this.buf.subarray(off + len);
    }
    this.wake();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
