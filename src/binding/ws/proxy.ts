/**
 * Reaching the registrar through an HTTP proxy (TS-0020 5.2: "Via a proxy: CONNECT host:port
 * first"): `https-proxy-agent` opens the CONNECT tunnel (RFC 9110 9.3.6), with `Proxy-Authorization`
 * from the URL's `user:pass`, and wraps it in TLS for `wss://`; `ws` takes it as its `agent`. This
 * file checks the proxy URL and names the proxy's refusals.
 */
import type { Agent, ClientRequest } from 'node:http';
import { WsOptionsError, WsProxyRefusedError } from './errors.js';

/** Parses the proxy URL; throws `WsOptionsError` for anything but `http://[user:pass@]host[:port]`. */
export function parseProxyUrl(url: string): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new WsOptionsError(`proxy "${url}" is not a URL`);
  }
  if (u.protocol !== 'http:') throw new WsOptionsError(`proxy "${url}": only http:// proxies are supported`);
  return u;
}

/** `host:port` of the proxy, as named in connect errors and logs (never its credentials). */
export function proxyAddress(proxy: URL): string {
  return `${proxy.hostname}:${proxy.port === '' ? 80 : proxy.port}`;
}

/**
 * An agent for `ws` that tunnels through `proxy`. Aborting `signal` destroys the socket to the
 * proxy, also while the proxy has not answered the CONNECT yet. Loaded on first use: most boards
 * have no proxy. The credentials go in as a header, not in the URL: the agent's debug output
 * (`DEBUG=https-proxy-agent`) prints the URL.
 */
export async function proxyAgent(proxy: URL, signal: AbortSignal): Promise<Agent> {
  const { HttpsProxyAgent } = await import('https-proxy-agent');
  const bare = new URL(proxy.href);
  bare.username = '';
  bare.password = '';
  const user = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`;
  const headers =
    proxy.username || proxy.password
      ? { 'Proxy-Authorization': `Basic ${Buffer.from(user).toString('base64')}` }
      : {};
  return new HttpsProxyAgent(bare, { signal, headers });
}

/**
 * Calls `onRefused` with `WS_PROXY_REFUSED` when the proxy answers the CONNECT of `req` to `target`
 * (`host:port`) with anything but 200 (the agent then hands the proxy's reply to `ws` as the
 * upgrade response), and `onAnswered` once the proxy answered at all: later failures are the
 * registrar's.
 */
export function watchProxyAnswer(
  req: ClientRequest,
  target: string,
  onAnswered: () => void,
  onRefused: (err: WsProxyRefusedError) => void,
): void {
  req.once('proxyConnect', (res: { statusCode?: number }) => {
    onAnswered();
    const status = res.statusCode ?? 0;
    if (status !== 200) onRefused(new WsProxyRefusedError(status, target));
  });
}
