import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { acceptFor, connect } from '../../../src/binding/ws/client.js';
import { WsError } from '../../../src/binding/ws/errors.js';
import type { ConnectOptions, Connection } from '../../../src/binding/ws/types.js';
import { ManualClock } from '../../../src/util/clock.js';
import { memoryLogger } from '../../../src/util/log.js';
import { ConnectProxy } from '../../helpers/connect-proxy.js';
import { RawServer, ScriptedServer, upgradeReply } from '../../helpers/scripted-server.js';
import { makeTestPki, startOpensslServer, type TestPki } from '../../helpers/tls.js';

const vector = JSON.parse(
  fs.readFileSync(new URL('../../fixtures/vectors/handshake.json', import.meta.url), 'utf8'),
) as {
  request: { headers: Record<string, string> };
  response: { headers: Record<string, string> };
  acceptPerRfc6455: string;
};

async function failure(p: Promise<unknown>): Promise<WsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WsError, `expected a WsError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

/** The values of one header in a raw header list. */
function headerValues(raw: readonly string[], name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2)
    if (raw[i]?.toLowerCase() === name.toLowerCase()) out.push(raw[i + 1] ?? '');
  return out;
}

async function withServer(
  opts: Parameters<typeof ScriptedServer.start>[0],
  fn: (server: ScriptedServer) => Promise<void>,
): Promise<void> {
  const server = await ScriptedServer.start(opts);
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

async function open(opts: ConnectOptions, fn: (c: Connection) => Promise<void> | void): Promise<void> {
  const c = await connect(opts);
  try {
    await fn(c);
  } finally {
    await c.close(1000, '', 0);
  }
}

describe('subprotocol negotiation', () => {
  test('offers all names in preference order in ONE comma-separated header', async () => {
    await withServer({}, async (server) => {
      await open({ url: server.url, serializations: ['cbor', 'json', 'xml'] }, async (c) => {
        const link = await server.link();
        assert.deepEqual(headerValues(link.rawHeaders, 'Sec-WebSocket-Protocol'), [
          'oneM2M.cbor,oneM2M.json,oneM2M.xml',
        ]);
        assert.equal(c.subprotocol, 'oneM2M.cbor');
        assert.equal(c.serialization, 'cbor');
        assert.equal(c.codec.frame, 'binary');
      });
    });
  });

  test('accepts the server choosing a later offered name', async () => {
    await withServer({ selectProtocol: (o) => o[1] ?? false }, async (server) => {
      await open({ url: server.url, serializations: ['cbor', 'json'] }, async (c) => {
        assert.equal(c.subprotocol, 'oneM2M.json');
        assert.equal(c.serialization, 'json');
        assert.equal((await c.request({ op: 2, to: 'cse-in', rqi: 'a', rvi: '3' })).rsc, 2000);
      });
    });
  });

  test('opts.offer sends exact names (Mobius wants oneM2M.R2.0.json first)', async () => {
    await withServer({}, async (server) => {
      await open(
        { url: server.url, serializations: ['cbor'], offer: ['oneM2M.R2.0.json', 'oneM2M.json'] },
        async (c) => {
          const link = await server.link();
          assert.deepEqual(headerValues(link.rawHeaders, 'Sec-WebSocket-Protocol'), [
            'oneM2M.R2.0.json,oneM2M.json',
          ]);
          assert.equal(c.subprotocol, 'oneM2M.R2.0.json');
          assert.equal(c.serialization, 'json');
        },
      );
    });
  });

  test('no subprotocol in the reply: WS_NO_SUBPROTOCOL naming the offer', async () => {
    await withServer({ selectProtocol: () => false }, async (server) => {
      const err = await failure(connect({ url: server.url, serializations: ['cbor', 'json'] }));
      assert.equal(err.code, 'WS_NO_SUBPROTOCOL');
      assert.match(err.message, /oneM2M\.cbor, oneM2M\.json/);
      assert.equal(err.retryable, false);
    });
  });

  test('a subprotocol never offered: WS_SUBPROTOCOL_REJECTED naming both sides', async () => {
    await withServer({ selectProtocol: () => 'oneM2M.xml' }, async (server) => {
      const err = await failure(connect({ url: server.url, serializations: ['cbor', 'json'] }));
      assert.equal(err.code, 'WS_SUBPROTOCOL_REJECTED');
      assert.match(err.message, /"oneM2M\.xml"/);
      assert.match(err.message, /oneM2M\.cbor, oneM2M\.json/);
    });
  });

  test('extra handshake headers are sent (X-M2M-Origin)', async () => {
    await withServer({}, async (server) => {
      await open(
        { url: server.url, serializations: ['json'], headers: { 'X-M2M-Origin': 'Cbarn-gw-1' } },
        async () => {
          const link = await server.link();
          assert.equal(link.headers['x-m2m-origin'], 'Cbarn-gw-1');
        },
      );
    });
  });
});

describe('handshake failures', () => {
  test('an HTTP refusal is WS_HANDSHAKE_FAILED with the status', async () => {
    await withServer({ rejectStatus: 403 }, async (server) => {
      const err = await failure(connect({ url: server.url, serializations: ['json'] }));
      assert.equal(err.code, 'WS_HANDSHAKE_FAILED');
      assert.equal((err as WsError & { status?: number }).status, 403);
      assert.match(err.message, /403/);
      assert.equal(err.retryable, false);
    });
    await withServer({ rejectStatus: 503 }, async (server) => {
      const err = await failure(connect({ url: server.url, serializations: ['json'] }));
      assert.equal((err as WsError & { status?: number }).status, 503);
      assert.equal(err.retryable, true);
    });
  });

  test('RFC 6455 gives the vector key the accept value 5thN0mVgdTFTgHSjknHQ8H0EtnM=', () => {
    const key = vector.request.headers['Sec-WebSocket-Key'] ?? '';
    assert.equal(acceptFor(key), vector.acceptPerRfc6455);
    assert.equal(acceptFor(key), '5thN0mVgdTFTgHSjknHQ8H0EtnM=');
    assert.notEqual(acceptFor(key), vector.response.headers['Sec-WebSocket-Accept']);
  });

  test("the spec example's wrong accept value is refused: WS_HANDSHAKE_BAD_ACCEPT", async () => {
    const wrong = vector.response.headers['Sec-WebSocket-Accept'] ?? '';
    assert.equal(wrong, 'FuSSKANnI7C/6/FrPMt70mfBY8E=');
    const raw = await RawServer.start((socket) => socket.write(upgradeReply(wrong, 'oneM2M.json')));
    try {
      const err = await failure(connect({ url: raw.url, serializations: ['json'] }));
      assert.equal(err.code, 'WS_HANDSHAKE_BAD_ACCEPT');
      assert.match(err.message, /FuSSKANnI7C/);
    } finally {
      await raw.close();
    }
  });

  test('the same raw server with the right accept value is accepted (control)', async () => {
    const raw = await RawServer.start((socket, headers) =>
      socket.write(upgradeReply(acceptFor(headers['sec-websocket-key'] ?? ''), 'oneM2M.json')),
    );
    try {
      const c = await connect({ url: raw.url, serializations: ['json'] });
      assert.equal(c.subprotocol, 'oneM2M.json');
      const closed = c.closed;
      for (const s of raw.sockets) s.destroy();
      assert.equal((await closed).code, 1006);
    } finally {
      await raw.close();
    }
  });

  test('a server that never answers the upgrade: WS_HANDSHAKE_TIMEOUT (retryable)', async () => {
    const clock = new ManualClock();
    let seen!: () => void;
    const upgradeSeen = new Promise<void>((r) => (seen = r));
    const raw = await RawServer.start(() => {
      seen();
    });
    try {
      const p = connect({ url: raw.url, serializations: ['json'], handshakeTimeoutMs: 5000, clock });
      let settled = false;
      p.catch(() => undefined).finally(() => (settled = true));
      await upgradeSeen;
      clock.advance(4999);
      await new Promise((r) => setImmediate(r));
      assert.equal(settled, false);
      clock.advance(1);
      const err = await failure(p);
      assert.equal(err.code, 'WS_HANDSHAKE_TIMEOUT');
      assert.equal(err.retryable, true);
      assert.equal(clock.pendingTimers(), 0);
    } finally {
      await raw.close();
    }
  });

  test('nobody listening: WS_CONNECTION_REFUSED (retryable)', async () => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) =>
      s.close(() => {
        r();
      }),
    );
    const err = await failure(connect({ url: `ws://127.0.0.1:${port}/`, serializations: ['json'] }));
    assert.equal(err.code, 'WS_CONNECTION_REFUSED');
    assert.equal(err.retryable, true);
  });

  test('a bad URL is WS_BAD_OPTIONS', async () => {
    assert.equal(
      (await failure(connect({ url: 'http://x/', serializations: ['json'] }))).code,
      'WS_BAD_OPTIONS',
    );
    assert.equal(
      (await failure(connect({ url: 'not a url', serializations: ['json'] }))).code,
      'WS_BAD_OPTIONS',
    );
  });
});

describe('TLS', () => {
  let pki: TestPki;
  before(() => {
    pki = makeTestPki();
  });

  test('wss:// with the right CA connects and carries requests', async () => {
    await withServer({ tls: { cert: pki.serverCert, key: pki.serverKey } }, async (server) => {
      assert.match(server.url, /^wss:/);
      await open({ url: server.url, serializations: ['cbor'], tls: { ca: pki.ca } }, async (c) => {
        assert.equal((await c.request({ op: 2, to: 'cse-in', rqi: 't1', rvi: '3' })).rqi, 't1');
      });
    });
  });

  test('a registrar certificate from another CA: WS_TLS_SERVER_UNTRUSTED, the hint names registrar.tls.ca', async () => {
    await withServer({ tls: { cert: pki.serverCert, key: pki.serverKey } }, async (server) => {
      const err = await failure(
        connect({ url: server.url, serializations: ['json'], tls: { ca: pki.otherCa } }),
      );
      assert.equal(err.code, 'WS_TLS_SERVER_UNTRUSTED');
      assert.match(err.hint ?? '', /registrar's certificate .* registrar\.tls\.ca/);
      // Verified by default: without tls.ca the system CAs do not know ours either.
      assert.equal(
        (await failure(connect({ url: server.url, serializations: ['json'] }))).code,
        'WS_TLS_SERVER_UNTRUSTED',
      );
    });
  });

  test('a registrar certificate for another name: WS_TLS_NAME_MISMATCH, the hint names the URL host', async () => {
    await withServer({ tls: { cert: pki.serverCert, key: pki.serverKey } }, async (server) => {
      const named = await failure(
        connect({
          url: server.url,
          serializations: ['json'],
          tls: { ca: pki.ca, servername: 'registrar.example' },
        }),
      );
      assert.equal(named.code, 'WS_TLS_NAME_MISMATCH');
      assert.match(named.hint ?? '', /not issued for the host in registrar\.url/);
    });
  });

  test("a key that is not the client certificate's: WS_TLS_KEY_MISMATCH, not a handshake failure", async () => {
    await withServer({ tls: { cert: pki.serverCert, key: pki.serverKey } }, async (server) => {
      const err = await failure(
        connect({
          url: server.url,
          serializations: ['json'],
          tls: { ca: pki.ca, cert: pki.clientCert, key: pki.serverKey },
        }),
      );
      assert.equal(err.code, 'WS_TLS_KEY_MISMATCH');
      assert.match(err.hint ?? '', /registrar\.tls\.key is not the private key of registrar\.tls\.cert/);
    });
  });

  test('a client certificate the registrar refuses (TLS 1.3, dropped after the handshake): WS_TLS_CLIENT_CERT_REFUSED', async () => {
    // The registrar trusts only the other CA, so our (valid) client certificate is refused; Node
    // drops the connection without an alert once its side of TLS 1.3 is done.
    const tls = { cert: pki.serverCert, key: pki.serverKey, ca: pki.otherCa, requestCert: true };
    await withServer({ tls }, async (server) => {
      const err = await failure(
        connect({
          url: server.url,
          serializations: ['json'],
          tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
        }),
      );
      assert.equal(err.code, 'WS_TLS_CLIENT_CERT_REFUSED', err.message);
      assert.match(err.hint ?? '', /refused the client certificate registrar\.tls\.cert/);
    });
  });

  for (const version of ['tls1_2', 'tls1_3'] as const) {
    test(`a client certificate OpenSSL refuses with an alert: WS_TLS_CLIENT_CERT_REFUSED (${version})`, async () => {
      const server = await startOpensslServer(pki, { clientCa: pki.otherCa, version });
      try {
        const err = await failure(
          connect({
            url: server.url,
            serializations: ['json'],
            tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
          }),
        );
        assert.equal(err.code, 'WS_TLS_CLIENT_CERT_REFUSED', err.message);
        assert.match(err.message, /alert unknown ca/);
      } finally {
        server.close();
      }
    });
  }

  test('mutual TLS: a client certificate is accepted, its absence refused with a named error', async () => {
    const tls = { cert: pki.serverCert, key: pki.serverKey, ca: pki.ca, requestCert: true };
    await withServer({ tls }, async (server) => {
      await open(
        {
          url: server.url,
          serializations: ['json'],
          tls: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
        },
        async (c) => {
          assert.equal(c.isOpen, true);
          const link = await server.link();
          assert.equal(link.headers.host, `127.0.0.1:${server.port}`);
        },
      );
      const err = await failure(connect({ url: server.url, serializations: ['json'], tls: { ca: pki.ca } }));
      assert.equal(err.code, 'WS_TLS_CLIENT_CERT_REFUSED');
      assert.match(
        err.hint ?? '',
        /requires a client certificate: set registrar\.tls\.cert and registrar\.tls\.key/,
      );
    });
  });

  test('tls.insecure connects without verification and warns at every connect', async () => {
    await withServer({ tls: { cert: pki.serverCert, key: pki.serverKey } }, async (server) => {
      const log = memoryLogger();
      for (let i = 0; i < 2; i++) {
        await open(
          { url: server.url, serializations: ['json'], tls: { insecure: true }, logger: log },
          (c) => {
            assert.equal(c.isOpen, true);
          },
        );
      }
      const warnings = log.lines.filter((l) => l.level === 'warn' && l.fields.code === 'WS_TLS_INSECURE');
      assert.equal(warnings.length, 2);
    });
  });

  describe('through an HTTP CONNECT proxy', () => {
    let proxy: ConnectProxy;
    before(async () => {
      proxy = await ConnectProxy.start();
    });
    after(async () => {
      await proxy.close();
    });

    test('wss:// is tunnelled and still verified', async () => {
      await withServer({ tls: { cert: pki.serverCert, key: pki.serverKey } }, async (server) => {
        const before = proxy.requests.length;
        await open(
          { url: server.url, serializations: ['json'], proxy: proxy.url(), tls: { ca: pki.ca } },
          async (c) => {
            assert.equal((await c.request({ op: 2, to: 'cse-in', rqi: 'p1', rvi: '3' })).rsc, 2000);
          },
        );
        assert.equal(proxy.requests[before]?.target, `127.0.0.1:${server.port}`);
        const err = await failure(
          connect({
            url: server.url,
            serializations: ['json'],
            proxy: proxy.url(),
            tls: { ca: pki.otherCa },
          }),
        );
        assert.equal(err.code, 'WS_TLS_SERVER_UNTRUSTED');
      });
    });
  });
});

describe('HTTP CONNECT proxy', () => {
  test('ws:// through the proxy', async () => {
    const proxy = await ConnectProxy.start();
    try {
      await withServer({}, async (server) => {
        await open({ url: server.url, serializations: ['cbor'], proxy: proxy.url() }, async (c) => {
          assert.equal((await c.request({ op: 2, to: 'cse-in', rqi: 'x', rvi: '3' })).rqi, 'x');
        });
        assert.deepEqual(proxy.requests, [{ target: `127.0.0.1:${server.port}`, authorization: undefined }]);
      });
    } finally {
      await proxy.close();
    }
  });

  test('credentials in the proxy URL; without them 407 is WS_PROXY_REFUSED', async () => {
    const proxy = await ConnectProxy.start({ credentials: 'agent:s3cret' });
    try {
      await withServer({}, async (server) => {
        await open({ url: server.url, serializations: ['json'], proxy: proxy.url('agent:s3cret') }, (c) => {
          assert.equal(c.isOpen, true);
        });
        assert.equal(
          proxy.requests[0]?.authorization,
          `Basic ${Buffer.from('agent:s3cret').toString('base64')}`,
        );
        const err = await failure(connect({ url: server.url, serializations: ['json'], proxy: proxy.url() }));
        assert.equal(err.code, 'WS_PROXY_REFUSED');
        assert.equal((err as WsError & { status?: number }).status, 407);
        assert.match(err.message, /407/);
      });
    } finally {
      await proxy.close();
    }
  });

  test('a proxy answering 403 is WS_PROXY_REFUSED with the status', async () => {
    const proxy = await ConnectProxy.start({ refuseStatus: 403 });
    try {
      const err = await failure(
        connect({ url: 'ws://127.0.0.1:9/', serializations: ['json'], proxy: proxy.url() }),
      );
      assert.equal(err.code, 'WS_PROXY_REFUSED');
      assert.equal((err as WsError & { status?: number }).status, 403);
      assert.equal(err.retryable, false);
    } finally {
      await proxy.close();
    }
  });

  test('a proxy that is down is WS_CONNECTION_REFUSED; a bad proxy URL WS_BAD_OPTIONS', async () => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1');
    await once(s, 'listening');
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) =>
      s.close(() => {
        r();
      }),
    );
    const err = await failure(
      connect({ url: 'ws://127.0.0.1:9/', serializations: ['json'], proxy: `http://127.0.0.1:${port}` }),
    );
    assert.equal(err.code, 'WS_CONNECTION_REFUSED');
    assert.match(err.message, /proxy/);
    const bad = await failure(
      connect({ url: 'ws://127.0.0.1:9/', serializations: ['json'], proxy: 'socks5://x:1' }),
    );
    assert.equal(bad.code, 'WS_BAD_OPTIONS');
  });
});
