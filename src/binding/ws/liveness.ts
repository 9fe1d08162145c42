/**
 * Keepalive by WebSocket ping/pong (RFC 6455 5.5.2/5.5.3). TS-0020 defines no ping rules, so the
 * client pings every `pingIntervalMs` and declares the link dead when no pong follows within
 * `pongTimeoutMs`: a half-open TCP connection (no FIN) is then found within interval + timeout.
 * Answering the server's pings is left to `ws` (autoPong). Timers come from an injected clock.
 */
import type { Clock, TimerHandle } from '../../util/clock.js';
import { WsPongTimeoutError } from './errors.js';

export interface LivenessOptions {
  readonly clock: Clock;
  /** 0 disables pinging. */
  readonly pingIntervalMs: number;
  readonly pongTimeoutMs: number;
  /** Sends one ping frame. */
  readonly ping: () => void;
  /** Called once when no pong arrived in time. */
  readonly onDead: (err: WsPongTimeoutError) => void;
}

/** One ping in flight at a time; a pong clears it, the next ping follows on the interval. */
export class Liveness {
  private tick: TimerHandle | undefined;
  private deadline: TimerHandle | undefined;
  private running = false;

  constructor(private readonly opts: LivenessOptions) {}

  /** True while a ping waits for its pong. */
  get awaitingPong(): boolean {
    return this.deadline !== undefined;
  }

  start(): void {
    if (this.running || this.opts.pingIntervalMs <= 0) return;
    this.running = true;
    this.schedule();
  }

  /** Call on every pong frame received. */
  pong(): void {
    if (this.deadline !== undefined) {
      this.opts.clock.clearTimeout(this.deadline);
      this.deadline = undefined;
    }
  }

  stop(): void {
    this.running = false;
    if (this.tick !== undefined) this.opts.clock.clearTimeout(this.tick);
    if (this.deadline !== undefined) this.opts.clock.clearTimeout(this.deadline);
    this.tick = undefined;
    this.deadline = undefined;
  }

  private schedule(): void {
    this.tick = this.opts.clock.setTimeout(() => {
      this.tick = undefined;
      if (!this.running) return;
      // Only one ping outstanding: if the previous one is still unanswered, its deadline decides.
      if (this.deadline === undefined) {
        this.deadline = this.opts.clock.setTimeout(() => {
          this.deadline = undefined;
          if (!this.running) return;
          this.stop();
          this.opts.onDead(new WsPongTimeoutError(this.opts.pongTimeoutMs));
        }, this.opts.pongTimeoutMs);
        this.opts.ping();
      }
      if (this.running) this.schedule();
    }, this.opts.pingIntervalMs);
  }
}
