/**
 * A small HTTP CONNECT proxy on 127.0.0.1 port 0: tunnels to the requested host:port, or answers
 * every CONNECT with a fixed status (403), or requires `Proxy-Authorization` (407 otherwise).
 */
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';

export interface ConnectProxyOptions {
  /** Refuse every CONNECT with this status. */
  readonly refuseStatus?: number;
  /** `user:pass` the proxy requires (Basic); 407 without it. */
  readonly credentials?: string;
}

export class ConnectProxy {
  /** Every CONNECT seen: its target and `Proxy-Authorization` header. */
  readonly requests: { target: string; authorization: string | undefined }[] = [];
  private readonly sockets = new Set<net.Socket>();

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
  ) {}

  static async start(opts: ConnectProxyOptions = {}): Promise<ConnectProxy> {
    const server = http.createServer((_req, res) => {
      res.writeHead(405).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const proxy = new ConnectProxy(server, (server.address() as AddressInfo).port);
    server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
      proxy.track(client);
      const target = req.url ?? '';
      const authorization = req.headers['proxy-authorization'];
      proxy.requests.push({ target, authorization });
      if (opts.refuseStatus !== undefined) {
        client.end(`HTTP/1.1 ${opts.refuseStatus} Refused\r\nContent-Length: 0\r\n\r\n`);
        return;
      }
      if (opts.credentials !== undefined) {
        const expected = `Basic ${Buffer.from(opts.credentials).toString('base64')}`;
        if (authorization !== expected) {
          client.end(
            'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\nContent-Length: 0\r\n\r\n',
          );
          return;
        }
      }
      const i = target.lastIndexOf(':');
      const upstream = net.connect(Number(target.slice(i + 1)), target.slice(0, i).replace(/^\[|\]$/g, ''));
      proxy.track(upstream);
      upstream.once('connect', () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        if (head.length > 0) upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    return proxy;
  }

  /** `http://[user:pass@]127.0.0.1:port`. */
  url(credentials?: string): string {
    return `http://${credentials ? `${credentials}@` : ''}127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) =>
      this.server.close(() => {
        resolve();
      }),
    );
  }

  private track(s: net.Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }
}
