/**
 * A counting TCP proxy for the `cost` bench: sits between a WebSocket client and the registrar,
 * counts the TCP payload both ways (HTTP upgrade, frames, pings, closes: everything) and parses
 * the client's frames (RFC 6455 5.2) to count data messages and keep copies of some of them.
 */
import net from 'node:net';

export interface WireCounts {
  /** TCP payload client -> registrar. */
  up: number;
  /** TCP payload registrar -> client. */
  down: number;
  /** Data frames (text, binary, continuation) the client sent. */
  upDataFrames: number;
  /** Those with RSV1 set (permessage-deflate, RFC 7692 6). */
  upCompressedFrames: number;
}

export interface CountingProxy {
  readonly url: string;
  readonly counts: WireCounts;
  /** Keeps unmasked copies of the next `n` uncompressed data payloads the client sends. */
  capture(n: number): Promise<{ payload: Buffer; binary: boolean }[]>;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (port 0) to `target` (`ws://host:port/...`). */
export async function startCountingProxy(target: string): Promise<CountingProxy> {
  const t = new URL(target);
  const counts: WireCounts = { up: 0, down: 0, upDataFrames: 0, upCompressedFrames: 0 };
  let want = 0;
  let captured: { payload: Buffer; binary: boolean }[] = [];
  let onCaptured: (() => void) | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(t.port), t.hostname);
    sockets.add(client).add(upstream);
    const parser = frameParser((f) => {
      if (f.opcode > 2) return;
      counts.upDataFrames++;
      if (f.rsv1) counts.upCompressedFrames++;
      else if (captured.length < want) {
        captured.push({ payload: f.payload, binary: f.opcode === 2 });
        if (captured.length === want) onCaptured?.();
      }
    });
    client.on('data', (b: Buffer) => {
      counts.up += b.length;
      parser(b);
      upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => {
      counts.down += b.length;
      client.write(b);
    });
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `ws://127.0.0.1:${port}${t.pathname}`,
    counts,
    capture(n) {
      want = n;
      captured = [];
      return new Promise((resolve) => {
        onCaptured = () => {
          want = 0;
          resolve(captured);
        };
      });
    },
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) =>
        server.close(() => {
          resolve();
        }),
      );
    },
  };
}

interface Frame {
  readonly opcode: number;
  readonly rsv1: boolean;
  readonly payload: Buffer;
}

/** The HTTP upgrade request first (up to its blank line), then client frames, unmasked. */
function frameParser(onFrame: (f: Frame) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  let inHttp = true;
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    if (inHttp) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) return;
      buf = buf.subarray(end + 4);
      inHttp = false;
    }
    for (;;) {
      if (buf.length < 2) return;
      const b0 = buf[0] ?? 0;
      const b1 = buf[1] ?? 0;
      let len = b1 & 0x7f;
      let at = 2;
      if (len === 126) {
        if (buf.length < 4) return;
        len = buf.readUInt16BE(2);
        at = 4;
      } else if (len === 127) {
        if (buf.length < 10) return;
        len = Number(buf.readBigUInt64BE(2));
        at = 10;
      }
      const masked = (b1 & 0x80) !== 0;
      const total = at + (masked ? 4 : 0) + len;
      if (buf.length < total) return;
      const payload = Buffer.from(buf.subarray(total - len, total));
      if (masked) {
        const mask = buf.subarray(at, at + 4);
        for (let i = 0; i < payload.length; i++) payload[i] = (payload[i] ?? 0) ^ (mask[i & 3] ?? 0);
      }
      onFrame({ opcode: b0 & 0x0f, rsv1: (b0 & 0x40) !== 0, payload });
      buf = buf.subarray(total);
    }
  };
}
