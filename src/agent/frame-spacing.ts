/**
 * Keeps our requests and our responses to the registrar's requests apart in time
 * (`registrar.compat.minFrameGapMs`). ACME 2026.05.1 hands each received frame to a worker thread
 * through a closure over its receive loop's variable (WebSocketServer.receiveLoop), so when a
 * second frame arrives before the first one's worker started, the first is lost and the second
 * handled twice: our answer to a routed command vanished (ACME answered its sender 5103) and the
 * reading sent right after it was stored twice. A request of ours therefore waits until no routed
 * request is being answered and `gapMs` have passed since our last response, and a response waits
 * `gapMs` after our last request. Requests after requests need no gap: with one in flight (the
 * `acme` preset's `maxInFlight` 1) the registrar's answer always comes between them.
 */
import type { Connection, RequestHandler } from '../binding/ws/types.js';
import type { Clock } from '../util/clock.js';
import { withRequest } from './with-request.js';

export class FrameSpacing {
  private answering = 0;
  private lastResponseMs = -Infinity;
  private lastRequestMs = -Infinity;
  private idle: (() => void)[] = [];

  constructor(
    private readonly gapMs: number,
    private readonly clock: Clock,
  ) {}

  /** `handler` whose responses keep the gap after our last request. */
  wrapHandler(handler: RequestHandler): RequestHandler {
    if (this.gapMs <= 0) return handler;
    return async (req) => {
      this.answering++;
      try {
        const rsp = await handler(req);
        await this.pause(this.lastRequestMs + this.gapMs - this.clock.monotonicMs());
        this.lastResponseMs = this.clock.monotonicMs();
        return rsp;
      } finally {
        this.answering--;
        if (this.answering === 0) for (const w of this.idle.splice(0)) w();
      }
    };
  }

  /** `conn` whose requests wait for answers in progress and keep the gap after our last response. */
  wrapConnection(conn: Connection): Connection {
    if (this.gapMs <= 0) return conn;
    const request: Connection['request'] = async (req, opts) => {
      for (;;) {
        if (this.answering > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
        const waitMs = this.lastResponseMs + this.gapMs - this.clock.monotonicMs();
        if (waitMs <= 0 && this.answering === 0) break;
        await this.pause(waitMs);
      }
      this.lastRequestMs = this.clock.monotonicMs();
      return conn.request(req, opts);
    };
    return withRequest(conn, request);
  }

  private pause(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => this.clock.setTimeout(resolve, ms));
  }
}
