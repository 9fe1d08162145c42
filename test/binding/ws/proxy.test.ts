import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { WsError } from '../../../src/binding/ws/errors.js';
import { openTunnel, parseProxyUrl } from '../../../src/binding/ws/proxy.js';
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

test('parseProxyUrl reads host, port and credentials', () => {
  assert.deepEqual(parseProxyUrl('http://proxy.lan:3128'), {
    host: 'proxy.lan',
    port: 3128,
    authorization: undefined,
  });
  assert.deepEqual(parseProxyUrl('http://u%40x:p%3Aw@10.0.0.1'), {
    host: '10.0.0.1',
    port: 80,
    authorization: `Basic ${Buffer.from('u@x:p:w').toString('base64')}`,
  });
  assert.equal(parseProxyUrl('http://[::1]:8080').host, '::1');
  for (const bad of ['https://p:1', 'proxy:3128', '']) {
    assert.throws(
      () => parseProxyUrl(bad),
      (e: unknown) => e instanceof WsError && e.code === 'WS_BAD_OPTIONS',
    );
  }
});

test('openTunnel returns a socket that reaches the target', async () => {
  const conns: net.Socket[] = [];
  const target = net.createServer((s) => {
    conns.push(s);
    s.pipe(s); // echo
  });
  target.listen(0, '127.0.0.1');
  await once(target, 'listening');
  const port = (target.address() as AddressInfo).port;
  const proxy = await ConnectProxy.start();
  try {
    const socket = await openTunnel(parseProxyUrl(proxy.url()), `127.0.0.1:${port}`);
    socket.write('hello through the tunnel');
    const [echo] = (await once(socket, 'data')) as [Buffer];
    assert.equal(echo.toString(), 'hello through the tunnel');
    assert.deepEqual(proxy.requests, [{ target: `127.0.0.1:${port}`, authorization: undefined }]);
    socket.destroy();
  } finally {
    await proxy.close();
    for (const s of conns) s.destroy();
    await new Promise<void>((r) =>
      target.close(() => {
        r();
      }),
    );
  }
});

test('refusals carry the status; an aborted attempt rejects with the abort reason', async () => {
  const refusing = await ConnectProxy.start({ refuseStatus: 502 });
  const auth = await ConnectProxy.start({ credentials: 'a:b' });
  try {
    const e502 = await failure(openTunnel(parseProxyUrl(refusing.url()), 'registrar:443'));
    assert.equal(e502.code, 'WS_PROXY_REFUSED');
    assert.equal(e502.retryable, true);
    const e407 = await failure(openTunnel(parseProxyUrl(auth.url('a:wrong')), 'registrar:443'));
    assert.equal((e407 as WsError & { status: number }).status, 407);
    assert.match(e407.hint ?? '', /credentials/);
    const ac = new AbortController();
    const reason = new WsError('WS_HANDSHAKE_TIMEOUT', 'late');
    ac.abort(reason);
    await assert.rejects(openTunnel(parseProxyUrl(auth.url('a:b')), 'registrar:443', ac.signal), reason);
  } finally {
    await refusing.close();
    await auth.close();
  }
});
