/**
 * A TCP proxy on 127.0.0.1 (port 0) in front of a target, for fault tests: it can stall the
 * current connections (stop forwarding both ways without closing them: a half-open link as a
 * dead NAT entry or an unplugged uplink leaves it), delay what flows back to the client (a slow
 * registrar, so requests stay in flight), or cut every connection.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxyOptions {
  readonly targetPort: number;
  readonly targetHost?: string;
  /** Delay added to every chunk going back to the client (order is kept); default 0. */
  readonly responseDelayMs?: number;
}

export interface TcpProxy {
  readonly port: number;
  /** `ws://127.0.0.1:<port>/`. */
  readonly url: string;
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections currently open. */
  readonly open: number;
  /** Current connections stop forwarding (bytes are dropped) but stay open; new ones work. */
  stallAll(): void;
  /** Destroys every current connection (both sides see a reset). */
  cutAll(): void;
  close(): Promise<void>;
}

interface Pair {
  readonly client: net.Socket;
  readonly upstream: net.Socket;
  stalled: boolean;
}

/** Starts the proxy; resolves once it listens. */
export async function startTcpProxy(o: TcpProxyOptions): Promise<TcpProxy> {
  const pairs = new Set<Pair>();
  const timers = new Set<NodeJS.Timeout>();
  let accepted = 0;
  const delay = o.responseDelayMs ?? 0;
  const server = net.createServer((client) => {
    accepted++;
    const upstream = net.connect(o.targetPort, o.targetHost ?? '127.0.0.1');
    const pair: Pair = { client, upstream, stalled: false };
    pairs.add(pair);
    const end = (): void => {
      if (!pairs.delete(pair)) return;
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.on('data', (d: Buffer) => {
      if (!pair.stalled) upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (pair.stalled) return;
      if (delay <= 0) {
        client.write(d);
        return;
      }
      const t = setTimeout(() => {
        timers.delete(t);
        if (!pair.stalled && !client.destroyed) client.write(d);
      }, delay);
      timers.add(t);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `ws://127.0.0.1:${port}/`,
    get accepted() {
      return accepted;
    },
    get open() {
      return pairs.size;
    },
    stallAll() {
      for (const p of pairs) p.stalled = true;
    },
    cutAll() {
      for (const p of [...pairs]) {
        pairs.delete(p);
        p.client.resetAndDestroy();
        p.upstream.destroy();
      }
    },
    close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const p of [...pairs]) {
        pairs.delete(p);
        p.client.destroy();
        p.upstream.destroy();
      }
      return new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
  };
}
