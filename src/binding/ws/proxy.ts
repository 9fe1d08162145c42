/**
 * HTTP CONNECT tunnel (RFC 9110 9.3.6) to reach the registrar through a proxy (TS-0020 5.2: "Via a
 * proxy: CONNECT host:port first"). The tunnelled socket is then handed to `ws`, wrapped in TLS
 * by the caller for `wss://`.
 */
import http from 'node:http';
import type { Socket } from 'node:net';
import {
  WsConnectFailedError,
  WsConnectionRefusedError,
  WsOptionsError,
  WsProxyRefusedError,
} from './errors.js';

/** A parsed `http://[user:pass@]host:port` proxy address. */
export interface ProxyAddress {
  readonly host: string;
  readonly port: number;
  /** `Basic ...` value for `Proxy-Authorization`, when the URL carries credentials. */
  readonly authorization: string | undefined;
}

/** Parses the proxy URL; throws `WsOptionsError` for anything but `http://host[:port]`. */
export function parseProxyUrl(url: string): ProxyAddress {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new WsOptionsError(`proxy "${url}" is not a URL`);
  }
  if (u.protocol !== 'http:') throw new WsOptionsError(`proxy "${url}": only http:// proxies are supported`);
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  return {
    host: u.hostname.startsWith('[') ? u.hostname.slice(1, -1) : u.hostname,
    port: u.port === '' ? 80 : Number(u.port),
    authorization: user || pass ? `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` : undefined,
  };
}

/**
 * Opens a tunnel to `target` (`host:port`) and resolves with the raw socket once the proxy
 * answered 2xx. Rejects with `WS_PROXY_REFUSED` (with the status) otherwise, or with a connect
 * error naming the proxy. Aborting the signal destroys the attempt.
 */
export function openTunnel(proxy: ProxyAddress, target: string, signal?: AbortSignal): Promise<Socket> {
  const abortError = (): Error =>
    signal?.reason instanceof Error ? signal.reason : new Error('tunnel aborted');
  if (signal?.aborted) return Promise.reject(abortError());
  return new Promise<Socket>((resolve, reject) => {
    const headers: Record<string, string> = { Host: target };
    if (proxy.authorization) headers['Proxy-Authorization'] = proxy.authorization;
    const req = http.request({
      host: proxy.host,
      port: proxy.port,
      method: 'CONNECT',
      path: target,
      headers,
      agent: false,
    });
    const where = `proxy ${proxy.host}:${proxy.port}`;
    let done = false;
    const finish = (err: Error | undefined, socket?: Socket): void => {
      if (done) {
        socket?.destroy();
        return;
      }
      done = true;
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else if (socket) resolve(socket);
    };
    const onAbort = (): void => {
      finish(abortError());
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.on('connect', (res, socket, head) => {
      const status = res.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        socket.destroy();
        finish(new WsProxyRefusedError(status, target));
        return;
      }
      // Bytes the proxy sent past its reply belong to the tunnelled stream.
      if (head.length > 0) socket.unshift(head);
      finish(undefined, socket);
    });
    req.on('response', (res) => {
      // A proxy that does not do CONNECT answers like a normal request.
      res.resume();
      req.destroy();
      finish(new WsProxyRefusedError(res.statusCode ?? 0, target));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') finish(new WsConnectionRefusedError(where, err));
      else finish(new WsConnectFailedError(where, err.code, err.message, err));
    });
    req.end();
  });
}
