import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import type { Agent } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { connect } from '../../../src/binding/ws/client.js';
import { WsError } from '../../../src/binding/ws/errors.js';
import { parseProxyUrl, proxyAddress, proxyAgent } from '../../../src/binding/ws/proxy.js';
import { ManualClock } from '../../../src/util/clock.js';
import { ConnectProxy } from '../../helpers/connect-proxy.js';

async function failure(p: Promise<unknown>): Promise<WsError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof WsError, `expected a WsError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

test('parseProxyUrl takes http:// proxies with or without credentials, and names them without', () => {
  const plain = parseProxyUrl('http://proxy.lan:3128');
  assert.equal(proxyAddress(plain), 'proxy.lan:3128');
  const withCredentials = parseProxyUrl('http://u%40x:p%3Aw@10.0.0.1');
  assert.equal(proxyAddress(withCredentials), '10.0.0.1:80');
  assert.equal(decodeURIComponent(withCredentials.username), 'u@x');
  assert.equal(decodeURIComponent(withCredentials.password), 'p:w');
  assert.equal(proxyAddress(parseProxyUrl('http://[::1]:8080')), '[::1]:8080');
  for (const bad of ['https://p:1', 'proxy:3128', '']) {
    assert.throws(
      () => parseProxyUrl(bad),
      (e: unknown) => e instanceof WsError && e.code === 'WS_BAD_OPTIONS',
    );
  }
});

test('the proxy agent holds no credentials in its URL (debug output prints it), only in the header', async () => {
  const agent = (await proxyAgent(
    parseProxyUrl('http://u%40x:p%3Aw@127.0.0.1:3128'),
    new AbortController().signal,
  )) as Agent & {
    proxy: URL;
    proxyHeaders: Record<string, string>;
  };
  assert.equal(agent.proxy.href, 'http://127.0.0.1:3128/');
  assert.deepEqual(agent.proxyHeaders, {
    'Proxy-Authorization': `Basic ${Buffer.from('u@x:p:w').toString('base64')}`,
  });
});

test('refusals carry the status: 502 is retryable, 407 hints at credentials', async () => {
  const refusing = await ConnectProxy.start({ refuseStatus: 502 });
  const auth = await ConnectProxy.start({ credentials: 'a:b' });
  try {
    const e502 = await failure(
      connect({ url: 'ws://registrar.test:443/', serializations: ['json'], proxy: refusing.url() }),
    );
    assert.equal(e502.code, 'WS_PROXY_REFUSED');
    assert.equal(e502.retryable, true);
    assert.deepEqual(refusing.requests, [{ target: 'registrar.test:443', authorization: undefined }]);
    const e407 = await failure(
      connect({ url: 'ws://registrar.test:443/', serializations: ['json'], proxy: auth.url('a:wrong') }),
    );
    assert.equal((e407 as WsError & { status: number }).status, 407);
    assert.match(e407.hint ?? '', /credentials/);
  } finally {
    await refusing.close();
    await auth.close();
  }
});

test('a proxy that never answers the CONNECT ends in a handshake timeout and its socket is closed', async () => {
  const accepted: net.Socket[] = [];
  const silent = net.createServer((s) => {
    accepted.push(s);
    s.resume(); // read the CONNECT, answer nothing
    silent.emit('accepted', s);
  });
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  const port = (silent.address() as AddressInfo).port;
  const clock = new ManualClock();
  try {
    const attempt = failure(
      connect({
        url: 'ws://registrar.test/',
        serializations: ['json'],
        proxy: `http://127.0.0.1:${port}`,
        handshakeTimeoutMs: 5_000,
        clock,
      }),
    );
    const [socket] = (await once(silent, 'accepted')) as [net.Socket];
    const closed = once(socket, 'close');
    clock.advance(5_000);
    const err = await attempt;
    assert.equal(err.code, 'WS_HANDSHAKE_TIMEOUT');
    await closed;
  } finally {
    for (const s of accepted) s.destroy();
    await new Promise<void>((r) =>
      silent.close(() => {
        r();
      }),
    );
  }
});
