import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { connect } from '../../../src/binding/ws/client.js';
import { cborCodec } from '../../../src/codec/index.js';
import { responseTo, type RequestPrimitive } from '../../../src/protocol/primitive.js';

/** A oneM2M CBOR echo server; `deflate` false declines permessage-deflate. */
async function server(deflate: boolean): Promise<{
  url: string;
  offers: (string | undefined)[];
  /** Bytes of each request message as it arrived on the socket (compressed size when agreed). */
  wireBytes: number[];
  close(): Promise<void>;
}> {
  const offers: (string | undefined)[] = [];
  const wireBytes: number[] = [];
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    perMessageDeflate: deflate ? { threshold: 0 } : false,
    handleProtocols: () => 'oneM2M.cbor',
  });
  wss.on('connection', (ws: WebSocket, req: IncomingMessage) => {
    offers.push(req.headers['sec-websocket-extensions']);
    const socket = (ws as unknown as { _socket: { bytesRead: number } })._socket;
    let seen = socket.bytesRead;
    ws.on('message', (data: Buffer) => {
      wireBytes.push(socket.bytesRead - seen);
      seen = socket.bytesRead;
      let req: RequestPrimitive;
      try {
        req = cborCodec.decode(data) as RequestPrimitive;
      } catch {
        ws.close(1007, 'undecodable');
        return;
      }
      ws.send(Buffer.from(cborCodec.encode(responseTo(req, 2001))));
    });
  });
  await once(wss, 'listening');
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    offers,
    wireBytes,
    close: () =>
      new Promise((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => {
          resolve();
        });
      }),
  };
}

const cin = (i: number): RequestPrimitive => ({
  op: 1,
  to: 'cse-in/gw/temperature',
  fr: 'Cgw',
  rqi: `r${i}`,
  rvi: '3',
  ty: 4,
  pc: { 'm2m:cin': { cnf: 'application/senml+json:0', con: `[{"bn":"temperature","v":${20 + i}}]` } },
});

describe('permessage-deflate (RFC 7692)', () => {
  test('is offered by default with a small window, and shrinks repeated requests', async () => {
    const s = await server(true);
    try {
      const c = await connect({ url: s.url, serializations: ['cbor'] });
      assert.equal(c.compression, 'permessage-deflate');
      for (let i = 0; i < 10; i++) assert.equal((await c.request(cin(i))).rsc, 2001);
      await c.close(1000, '', 0);
      const offer = s.offers[0] ?? '';
      assert.match(offer, /^permessage-deflate/);
      assert.match(offer, /client_max_window_bits=12/);
      assert.match(offer, /server_max_window_bits=12/);
      const plain = Buffer.from(cborCodec.encode(cin(9))).length;
      // With context takeover a request like the previous one costs a fraction of its size.
      const last = s.wireBytes[s.wireBytes.length - 1] ?? Infinity;
      assert.ok(last < plain / 2, `compressed ${last} B vs plain ${plain} B`);
    } finally {
      await s.close();
    }
  });

  test('fifty requests sent in one turn (one corked write) arrive intact and are all answered', async () => {
    const s = await server(true);
    try {
      const c = await connect({ url: s.url, serializations: ['cbor'] });
      assert.equal(c.compression, 'permessage-deflate');
      for (let round = 0; round < 3; round++) {
        const answers = await Promise.all(
          Array.from({ length: 50 }, (_, i) => c.request(cin(round * 50 + i))),
        );
        assert.deepEqual(
          answers.map((r) => `${r.rqi} ${r.rsc}`),
          Array.from({ length: 50 }, (_, i) => `r${round * 50 + i} 2001`),
        );
      }
      await c.close(1000, '', 0);
    } finally {
      await s.close();
    }
  });

  test('a registrar that declines gets plain frames, silently', async () => {
    const s = await server(false);
    try {
      const c = await connect({ url: s.url, serializations: ['cbor'] });
      assert.equal(c.compression, undefined);
      assert.equal((await c.request(cin(1))).rsc, 2001);
      await c.close(1000, '', 0);
      assert.match(s.offers[0] ?? '', /^permessage-deflate/);
    } finally {
      await s.close();
    }
  });

  test('compression: false offers nothing', async () => {
    const s = await server(true);
    try {
      const c = await connect({ url: s.url, serializations: ['cbor'], compression: false });
      assert.equal(c.compression, undefined);
      assert.equal((await c.request(cin(1))).rsc, 2001);
      await c.close(1000, '', 0);
      assert.equal(s.offers[0], undefined);
    } finally {
      await s.close();
    }
  });
});
