import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { acceptFor, connect } from '../../../src/binding/ws/client.js';
import { WsError } from '../../../src/binding/ws/errors.js';
import type { ConnectOptions, Connection } from '../../../src/binding/ws/types.js';
import { cborCodec } from '../../../src/codec/index.js';
import {
  isRequest,
  responseTo,
  type Primitive,
  type RequestPrimitive,
  type ResponsePrimitive,
} from '../../../src/protocol/primitive.js';
import { ManualClock } from '../../../src/util/clock.js';
import { memoryLogger } from '../../../src/util/log.js';
import {
  RawServer,
  ScriptedServer,
  serverFrame,
  upgradeReply,
  type ScriptedServerOptions,
  type ServerLink,
} from '../../helpers/scripted-server.js';

const req = (rqi: string, extra: Partial<RequestPrimitive> = {}): RequestPrimitive => ({
  op: 2,
  to: 'cse-in/barn',
  fr: 'Cbarn',
  rqi,
  rvi: '3',
  ...extra,
});

async function failure(p: Promise<unknown>): Promise<WsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WsError, `expected a WsError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

/** A scripted server and a client connected to it; both torn down afterwards. */
async function session(
  serverOpts: ScriptedServerOptions,
  clientOpts: Partial<ConnectOptions>,
  fn: (c: Connection, link: ServerLink, server: ScriptedServer) => Promise<void>,
): Promise<void> {
  const server = await ScriptedServer.start(serverOpts);
  try {
    const c = await connect({ url: server.url, serializations: ['json'], ...clientOpts });
    try {
      await fn(c, await server.link(), server);
    } finally {
      await c.close(1000, '', 0);
    }
  } finally {
    await server.close();
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('correlation', () => {
  test('50 pipelined requests answered in reverse order each get their own response', async () => {
    const held: RequestPrimitive[] = [];
    const onPrimitive = (link: ServerLink, p: Primitive): void => {
      if (!isRequest(p)) return;
      held.push(p);
      if (held.length === 50)
        for (const r of held.reverse()) link.send(responseTo(r, r.rqi === 'r7' ? 4004 : 2000, { n: r.rqi }));
    };
    await session({ onPrimitive }, { serializations: ['cbor'] }, async (c) => {
      const ps = Array.from({ length: 50 }, (_, i) => c.request(req(`r${i}`)));
      assert.equal(c.inFlight, 50);
      const rsps = await Promise.all(ps);
      rsps.forEach((r, i) => {
        assert.equal(r.rqi, `r${i}`);
        assert.deepEqual(r.pc, { n: `r${i}` });
      });
      // A 4004 is data, not an exception.
      assert.equal(rsps[7]?.rsc, 4004);
      assert.equal(c.inFlight, 0);
    });
  });

  test('timeout (per connection and per request), abort, duplicate rqi; late answers are dropped', async () => {
    const clock = new ManualClock();
    const log = memoryLogger();
    const held: RequestPrimitive[] = [];
    const onPrimitive = (_l: ServerLink, p: Primitive): void => {
      if (isRequest(p)) held.push(p);
    };
    await session(
      { onPrimitive },
      { clock, logger: log, requestTimeoutMs: 1000, pingIntervalMs: 0 },
      async (c, link) => {
        const a = c.request(req('a'));
        const b = c.request(req('b'), { timeoutMs: 5000 });
        assert.equal((await failure(c.request(req('a')))).code, 'WS_DUPLICATE_RQI');
        const ac = new AbortController();
        const d = c.request(req('d'), { signal: ac.signal });
        await link.waitForMessages(3);
        ac.abort();
        assert.equal((await failure(d)).code, 'WS_REQUEST_ABORTED');
        clock.advance(1000);
        const ea = await failure(a);
        assert.equal(ea.code, 'WS_REQUEST_TIMEOUT');
        assert.equal(ea.retryable, true);
        assert.equal(c.inFlight, 1);
        clock.advance(4000);
        assert.equal((await failure(b)).code, 'WS_REQUEST_TIMEOUT');
        assert.equal(c.inFlight, 0);
        // The late response to "a" is logged and dropped; the link stays usable.
        link.send(responseTo(held[0] ?? req('a'), 2000));
        const e = c.request(req('e'));
        await link.waitForMessages(4);
        link.send(responseTo(req('e'), 2001));
        assert.equal((await e).rsc, 2001);
        assert.ok(log.lines.some((l) => l.fields.code === 'WS_UNKNOWN_RQI' && l.fields.rqi === 'a'));
        assert.equal(clock.pendingTimers(), 0);
      },
    );
  });

  test('a closing link settles every pending request with WS_LINK_CLOSED; new requests fail at once', async () => {
    const onPrimitive = (): void => undefined;
    await session({ onPrimitive }, {}, async (c, link) => {
      const ps = [c.request(req('1')), c.request(req('2'))];
      await link.waitForMessages(2);
      link.ws.terminate();
      for (const p of ps) {
        const e = await failure(p);
        assert.equal(e.code, 'WS_LINK_CLOSED');
        assert.equal(e.retryable, true);
      }
      const info = await c.closed;
      assert.equal(info.local, false);
      assert.equal(c.isOpen, false);
      assert.equal((await failure(c.request(req('3')))).code, 'WS_LINK_CLOSED');
    });
  });

  test('an outgoing message over maxMessageBytes is refused and not sent', async () => {
    await session({}, { maxMessageBytes: 200 }, async (c, link) => {
      const e = await failure(
        c.request(req('big', { op: 1, ty: 4, pc: { 'm2m:cin': { con: 'x'.repeat(500) } } })),
      );
      assert.equal(e.code, 'WS_MESSAGE_TOO_LARGE');
      assert.equal(c.inFlight, 0);
      assert.equal((await c.request(req('small'))).rsc, 2000);
      assert.equal(link.raw.length, 1);
    });
  });
});

describe('incoming requests', () => {
  const notify = (rqi: string): RequestPrimitive => ({
    op: 5,
    to: 'Cbarn',
    fr: '/id-in',
    rqi,
    rvi: '3',
    pc: { 'm2m:sgn': { sur: '/id-in/sub1' } },
  });

  test("the handler's result is sent back", async () => {
    const seen: RequestPrimitive[] = [];
    const onRequest = (r: RequestPrimitive): ResponsePrimitive => {
      seen.push(r);
      return responseTo(r, 2000);
    };
    await session({}, { onRequest, serializations: ['cbor'] }, async (_c, link) => {
      const rsp = await link.request(notify('n1'));
      assert.deepEqual(rsp, { rsc: 2000, rqi: 'n1', rvi: '3' });
      assert.equal(seen[0]?.pc?.['m2m:sgn'] !== undefined, true);
      assert.equal(link.raw.at(-1)?.isBinary, true);
    });
  });

  test('a handler that throws or rejects yields 5000 with the same rqi/rvi; no crash', async () => {
    const log = memoryLogger();
    let calls = 0;
    const onRequest = (r: RequestPrimitive): Promise<ResponsePrimitive> => {
      calls++;
      if (r.rqi === 'sync') throw new Error('boom');
      return tick().then(() => Promise.reject(new Error('async boom')));
    };
    await session({}, { onRequest, logger: log }, async (c, link) => {
      for (const rqi of ['sync', 'async']) {
        const rsp = await link.request({ ...notify(rqi), rvi: '2a' });
        assert.equal(rsp.rsc, 5000);
        assert.equal(rsp.rqi, rqi);
        assert.equal(rsp.rvi, '2a');
        assert.equal(typeof rsp.pc?.['m2m:dbg'], 'string');
      }
      assert.equal(calls, 2);
      assert.equal(c.isOpen, true);
      assert.ok(log.lines.some((l) => l.level === 'error' && /handler failed/.test(l.msg)));
    });
  });

  test('without a handler: 5001', async () => {
    await session({}, {}, async (_c, link) => {
      const rsp = await link.request(notify('n2'));
      assert.equal(rsp.rsc, 5001);
      assert.equal(rsp.rqi, 'n2');
    });
  });
});

describe('liveness', () => {
  test('no pong: closed with WS_PONG_TIMEOUT at ping interval + pong timeout', async () => {
    const clock = new ManualClock();
    await session({ autoPong: false }, { clock, pingIntervalMs: 1000, pongTimeoutMs: 300 }, async (c) => {
      const pending = c.request(req('p'), { timeoutMs: 0 });
      clock.advance(1000);
      clock.advance(299);
      await tick();
      assert.equal(c.isOpen, true);
      clock.advance(1);
      const info = await c.closed;
      assert.ok(info.error instanceof WsError);
      assert.equal(info.error.code, 'WS_PONG_TIMEOUT');
      assert.equal(info.local, true);
      assert.equal((await failure(pending)).code, 'WS_LINK_CLOSED');
    });
  });

  test('pongs keep the link open', async () => {
    const clock = new ManualClock();
    await session({}, { clock, pingIntervalMs: 1000, pongTimeoutMs: 300 }, async (c) => {
      for (let i = 0; i < 3; i++) {
        // Pings go out at 1000, 2000, 3000; each deadline is 300 later.
        clock.advance(i === 0 ? 1000 : 700);
        // The echo of a request sent after the ping arrives after its pong (one ordered stream).
        await c.request(req(`k${i}`));
        clock.advance(300);
      }
      assert.equal(c.isOpen, true);
    });
  });
});

describe('bad input from the peer', () => {
  async function badInput(
    clientOpts: Partial<ConnectOptions>,
    act: (link: ServerLink) => void,
  ): Promise<{
    code: number;
    error: string | undefined;
    /** The code of the error's cause (the codec's, for a message that does not decode). */
    causeCode: string | undefined;
    log: ReturnType<typeof memoryLogger>;
    peerCode: number;
  }> {
    const log = memoryLogger();
    let result!: { code: number; error: string | undefined; causeCode: string | undefined; peerCode: number };
    await session({ onPrimitive: () => undefined }, { ...clientOpts, logger: log }, async (c, link) => {
      act(link);
      const info = await c.closed;
      const peer = await link.closed;
      const error = info.error as (WsError & { cause?: { code?: string } }) | undefined;
      result = { code: info.code, error: error?.code, causeCode: error?.cause?.code, peerCode: peer.code };
    });
    return { ...result, log };
  }

  const loggedWithPeer = (log: ReturnType<typeof memoryLogger>, code: string): boolean =>
    log.lines.some((l) => l.fields.code === code && typeof l.fields.peer === 'string');

  test('oversized message: close 1009, WS_MESSAGE_TOO_LARGE', async () => {
    const r = await badInput({ maxMessageBytes: 1000 }, (link) => {
      link.sendRaw('x'.repeat(2000), false);
    });
    assert.equal(r.peerCode, 1009);
    assert.equal(r.error, 'WS_MESSAGE_TOO_LARGE');
    assert.ok(loggedWithPeer(r.log, 'WS_MESSAGE_TOO_LARGE'));
  });

  test('undecodable without an rqi: close 1007, WS_MESSAGE_MALFORMED', async () => {
    const r = await badInput({ serializations: ['cbor'] }, (link) => {
      link.sendRaw(Buffer.from([0xff, 0xfe, 0x00]), true);
    });
    assert.equal(r.peerCode, 1007);
    assert.equal(r.error, 'WS_MESSAGE_MALFORMED');
    assert.ok(loggedWithPeer(r.log, 'WS_MESSAGE_MALFORMED'));
  });

  test('hostile frames (a lying CBOR length, deep JSON, deep XML) are refused at once, 1007, by name', async () => {
    // Issue 12: these 13 bytes froze the event loop in cbor-extract 2.2.2's native extractor.
    const frames: [ConnectOptions['serializations'], Buffer, boolean, string][] = [
      [['cbor'], Buffer.from('6307d131636961335afffffffb', 'hex'), true, 'CODEC_MALFORMED'],
      [['json'], Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)), false, 'CODEC_LIMIT_EXCEEDED'],
      [['xml'], Buffer.from('<a>'.repeat(10_000)), false, 'CODEC_LIMIT_EXCEEDED'],
    ];
    for (const [serializations, data, binary, cause] of frames) {
      const r = await badInput({ serializations }, (link) => {
        link.sendRaw(data, binary);
      });
      assert.equal(r.peerCode, 1007);
      assert.equal(r.error, 'WS_MESSAGE_MALFORMED');
      assert.equal(r.causeCode, cause);
      assert.ok(loggedWithPeer(r.log, 'WS_MESSAGE_MALFORMED'));
    }
  });

  test('wrong frame type for the format: close 1003, WS_FRAME_TYPE', async () => {
    const r = await badInput({}, (link) => {
      link.sendRaw(cborCodec.encode(req('b')) as Buffer, true);
    });
    assert.equal(r.peerCode, 1003);
    assert.equal(r.error, 'WS_FRAME_TYPE');
    assert.ok(loggedWithPeer(r.log, 'WS_FRAME_TYPE'));
  });

  test('invalid UTF-8 in a text frame: ws closes 1007, WS_PROTOCOL_ERROR', async () => {
    const r = await badInput({}, (link) => {
      link.sendRaw(Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), false);
    });
    assert.equal(r.peerCode, 1007);
    assert.equal(r.error, 'WS_PROTOCOL_ERROR');
  });

  test('undecodable request with a recoverable rqi: answered 4000, link stays open', async () => {
    const log = memoryLogger();
    await session({ onPrimitive: () => undefined }, { logger: log }, async (c, link) => {
      link.sendRaw('{"op":1,"to":"Cbarn","rqi":"bad-1","pc":', false);
      await link.waitForMessages(1);
      assert.deepEqual(
        { rsc: (link.received[0] as ResponsePrimitive).rsc, rqi: link.received[0]?.rqi },
        { rsc: 4000, rqi: 'bad-1' },
      );
      assert.equal(c.isOpen, true);
      assert.ok(loggedWithPeer(log, 'WS_MESSAGE_MALFORMED'));
    });
  });

  test('a broken response to a pending request fails that request, not the link', async () => {
    const onPrimitive = (link: ServerLink, p: Primitive): void => {
      link.sendRaw(`{"rsc":"two thousand","rqi":"${p.rqi}"}`, false);
    };
    await session({ onPrimitive }, {}, async (c) => {
      const e = await failure(c.request(req('q1')));
      assert.equal(e.code, 'WS_MESSAGE_MALFORMED');
      assert.equal(c.isOpen, true);
      assert.equal(c.inFlight, 0);
    });
  });
});

describe('framing', () => {
  test('a JSON text frame on a CBOR link is decoded as JSON (responses and requests)', async () => {
    const onPrimitive = (link: ServerLink, p: Primitive): void => {
      if (isRequest(p)) link.sendRaw(JSON.stringify(responseTo(p, 2001)), false);
    };
    await session(
      { onPrimitive },
      { serializations: ['cbor'], onRequest: (r) => responseTo(r, 2000) },
      async (c, link) => {
        assert.equal(c.codec.frame, 'binary');
        assert.equal((await c.request(req('j1'))).rsc, 2001);
        link.sendRaw(JSON.stringify({ op: 5, to: 'Cbarn', fr: '/id-in', rqi: 'jn', rvi: '3' }), false);
        await link.waitForMessages(2);
        assert.equal(link.raw[1]?.isBinary, true);
        assert.deepEqual(link.received[1], { rsc: 2000, rqi: 'jn', rvi: '3' });
      },
    );
  });

  test('fragmented messages are reassembled (text and binary)', async () => {
    const textRsp = Buffer.from(
      JSON.stringify({ rsc: 2000, rqi: 'frag-1', rvi: '3', pc: { 'm2m:dbg': 'y'.repeat(300) } }),
    );
    const raw = await RawServer.start((socket, headers) => {
      socket.write(upgradeReply(acceptFor(headers['sec-websocket-key'] ?? ''), 'oneM2M.json'));
      socket.once('data', () => {
        // RFC 6455 5.4: first frame carries the opcode, continuations opcode 0, last has FIN.
        socket.write(serverFrame(0x1, textRsp.subarray(0, 10), false));
        socket.write(serverFrame(0x0, textRsp.subarray(10, 200), false));
        socket.write(serverFrame(0x9, Buffer.from('interleaved ping')));
        socket.write(serverFrame(0x0, textRsp.subarray(200), true));
      });
    });
    try {
      const c = await connect({ url: raw.url, serializations: ['json'] });
      const rsp = await c.request(req('frag-1'));
      assert.equal(rsp.rqi, 'frag-1');
      assert.equal((rsp.pc?.['m2m:dbg'] as string).length, 300);
      for (const s of raw.sockets) s.destroy();
      await c.closed;
    } finally {
      await raw.close();
    }
    const binRsp = Buffer.from(cborCodec.encode({ rsc: 2004, rqi: 'frag-2', rvi: '3' }));
    const rawBin = await RawServer.start((socket, headers) => {
      socket.write(upgradeReply(acceptFor(headers['sec-websocket-key'] ?? ''), 'oneM2M.cbor'));
      socket.once('data', () => {
        socket.write(serverFrame(0x2, binRsp.subarray(0, 3), false));
        socket.write(serverFrame(0x0, binRsp.subarray(3), true));
      });
    });
    try {
      const c = await connect({ url: rawBin.url, serializations: ['cbor'] });
      assert.equal((await c.request(req('frag-2'))).rsc, 2004);
      for (const s of rawBin.sockets) s.destroy();
      await c.closed;
    } finally {
      await rawBin.close();
    }
  });

  test('a message sent right behind the 101 reply (same TCP segment) is not lost', async () => {
    const notify = Buffer.from(JSON.stringify({ op: 5, to: 'Cbarn', fr: '/id-in', rqi: 'early', rvi: '3' }));
    const raw = await RawServer.start((socket, headers) => {
      const reply = upgradeReply(acceptFor(headers['sec-websocket-key'] ?? ''), 'oneM2M.json');
      socket.write(Buffer.concat([Buffer.from(reply, 'latin1'), serverFrame(0x1, notify)]));
    });
    try {
      const seen: string[] = [];
      const c = await connect({
        url: raw.url,
        serializations: ['json'],
        onRequest: (r) => {
          seen.push(r.rqi);
          return responseTo(r, 2000);
        },
      });
      for (let i = 0; i < 20 && seen.length === 0; i++) await tick();
      assert.deepEqual(seen, ['early']);
      for (const s of raw.sockets) s.destroy();
      await c.closed;
    } finally {
      await raw.close();
    }
  });

  test('onFrame sees direction, payload bytes and the primitive; a throwing observer is contained', async () => {
    const events: { direction: string; bytes: number; rqi: string }[] = [];
    const onFrame = (e: { direction: 'in' | 'out'; bytes: number; primitive: Primitive }): void => {
      events.push({ direction: e.direction, bytes: e.bytes, rqi: e.primitive.rqi });
      throw new Error('observer bug');
    };
    await session({}, { onFrame }, async (c, link) => {
      await c.request(req('o1'));
      assert.deepEqual(
        events.map((e) => [e.direction, e.rqi]),
        [
          ['out', 'o1'],
          ['in', 'o1'],
        ],
      );
      assert.equal(events[0]?.bytes, link.raw[0]?.data.length);
      assert.equal(events[0]?.bytes, Buffer.byteLength(JSON.stringify(req('o1'))));
    });
  });
});

describe('close', () => {
  test('graceful close waits for in-flight requests, then closes with the code', async () => {
    let release!: () => void;
    const onPrimitive = (link: ServerLink, p: Primitive): void => {
      if (isRequest(p))
        release = () => {
          link.send(responseTo(p, 2000));
        };
    };
    await session({ onPrimitive }, {}, async (c, link) => {
      const p = c.request(req('g1'));
      await link.waitForMessages(1);
      const closing = c.close(1001, 'going away', 10_000);
      assert.equal(c.isOpen, false);
      assert.equal((await failure(c.request(req('g2')))).code, 'WS_LINK_CLOSED');
      await tick();
      assert.equal(link.ws.readyState, link.ws.OPEN);
      release();
      assert.equal((await p).rsc, 2000);
      const info = await closing;
      assert.deepEqual(
        { code: info.code, local: info.local, error: info.error },
        { code: 1001, local: true, error: undefined },
      );
      assert.equal((await link.closed).code, 1001);
      assert.equal(await c.closed, info);
    });
  });

  test('the grace period ends: pending requests fail with WS_LINK_CLOSED, closed never rejects', async () => {
    const clock = new ManualClock();
    await session({ onPrimitive: () => undefined }, { clock }, async (c, link) => {
      const p = c.request(req('h1'), { timeoutMs: 0 });
      await link.waitForMessages(1);
      const closing = c.close(1000, 'bye', 500);
      await tick();
      clock.advance(500);
      assert.equal((await failure(p)).code, 'WS_LINK_CLOSED');
      assert.equal((await closing).code, 1000);
      assert.equal((await c.close()).code, 1000);
    });
  });
});
