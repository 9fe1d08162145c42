/**
 * The synchronous permessage-deflate of our links (sync-deflate.ts) against `ws`'s own: the same
 * bytes, and the same refusals of what a peer may send (an inflation bomb, corrupt data), over real
 * sockets on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, test } from 'node:test';
import zlib from 'node:zlib';
import WebSocket, { WebSocketServer } from 'ws';
import { useSyncDeflate } from '../../../src/binding/ws/sync-deflate.js';

const OFFER = {
  clientMaxWindowBits: 12,
  serverMaxWindowBits: 12,
  zlibDeflateOptions: { memLevel: 4 },
  threshold: 0,
};

async function withServer(
  onConnection: (peer: WebSocket) => void,
  run: (url: string) => Promise<void>,
): Promise<void> {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
  wss.on('connection', onConnection);
  await once(wss, 'listening');
  try {
    await run(`ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`);
  } finally {
    for (const c of wss.clients) c.terminate();
    await new Promise<void>((resolve) => {
      wss.close(() => {
        resolve();
      });
    });
  }
}

async function client(url: string, sync: boolean, maxPayload?: number): Promise<WebSocket> {
  const ws = new WebSocket(url, { perMessageDeflate: OFFER, ...(maxPayload ? { maxPayload } : {}) });
  await once(ws, 'open');
  if (sync) assert.equal(useSyncDeflate(ws), true);
  return ws;
}

type Compress = (data: Buffer, fin: boolean, cb: (err: Error | null, out?: Buffer) => void) => void;
const compressorOf = (ws: WebSocket): Compress => {
  const pmd = (ws as unknown as { _extensions: Record<string, { compress: Compress }> })._extensions[
    'permessage-deflate'
  ];
  assert.ok(pmd);
  return (data, fin, cb) => {
    pmd.compress(data, fin, cb);
  };
};
const compressed = (c: Compress, data: Buffer): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    c(data, true, (err, out) => {
      if (err) reject(err);
      else resolve(out ?? Buffer.alloc(0));
    });
  });

/** Writes one unmasked binary frame with RSV1 (compressed) and `payload` (< 126 bytes) as is. */
function sendRawCompressed(peer: WebSocket, payload: Buffer): void {
  assert.ok(payload.length < 126);
  const head = Buffer.from([0x80 | 0x40 | 0x02, payload.length]); // FIN, RSV1, binary
  (peer as unknown as { _socket: { write(b: Buffer): void } })._socket.write(Buffer.concat([head, payload]));
}

/** The close code the server side receives from the client. */
function closeCodeOf(peer: WebSocket): Promise<number> {
  return new Promise((resolve) =>
    peer.once('close', (code: number) => {
      resolve(code);
    }),
  );
}

describe('synchronous permessage-deflate', () => {
  test('compresses a stream of messages to the very bytes ws does (context takeover kept)', async () => {
    await withServer(
      () => undefined,
      async (url) => {
        const [mine, theirs] = [await client(url, true), await client(url, false)];
        for (let i = 0; i < 30; i++) {
          const msg = Buffer.from(JSON.stringify({ op: 1, rqi: `r${i}`, con: `[{"bn":"t","v":${i % 7}}]` }));
          const [a, b] = [
            await compressed(compressorOf(mine), msg),
            await compressed(compressorOf(theirs), msg),
          ];
          assert.deepEqual(a, b, `message ${i}`);
        }
        mine.terminate();
        theirs.terminate();
      },
    );
  });

  test('a small frame that inflates past maxPayload: error and close 1009', async () => {
    let peerClose: Promise<number> | undefined;
    await withServer(
      (peer) => {
        peerClose = closeCodeOf(peer);
        peer.send(Buffer.alloc(10_000_000)); // ~10 KB on the wire
      },
      async (url) => {
        const ws = await client(url, true, 100_000);
        const [err] = (await once(ws, 'error')) as [NodeJS.ErrnoException];
        assert.equal(err.code, 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH');
        assert.equal(await peerClose, 1009);
      },
    );
  });

  test('corrupt compressed data: error and close 1007', async () => {
    let peerClose: Promise<number> | undefined;
    await withServer(
      (peer) => {
        peerClose = closeCodeOf(peer);
        sendRawCompressed(peer, Buffer.from([0xff, 0xff, 0xff, 0x07, 0x01, 0x02]));
      },
      async (url) => {
        const ws = await client(url, true);
        await once(ws, 'error');
        assert.equal(await peerClose, 1007);
      },
    );
  });

  test("a peer's message that ends its deflate stream (final block), then more: all are read", async () => {
    const got: string[] = [];
    await withServer(
      (peer) => {
        // Each payload a whole deflate stream (BFINAL), as RFC 7692 7.2.3.5 allows a sender to do.
        for (const text of ['first', 'second', 'third'])
          sendRawCompressed(peer, zlib.deflateRawSync(Buffer.from(text)));
        peer.send('fourth'); // and back to ws's own compression
      },
      async (url) => {
        const ws = await client(url, true);
        ws.on('message', (data: Buffer) => got.push(data.toString()));
        while (got.length < 4) await once(ws, 'message');
        ws.terminate();
      },
    );
    assert.deepEqual(got, ['first', 'second', 'third', 'fourth']);
  });
});
