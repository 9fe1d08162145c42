/**
 * Matches responses to requests by `rqi` (TS-0004 6.4.1: a response echoes its request's Request
 * Identifier). Every exit path (response, timeout, abort, link closed) removes the entry, so the
 * map never holds a settled request. A response nobody waits for is logged and dropped.
 */
import type { ResponsePrimitive } from '../../protocol/primitive.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/log.js';
import { WsDuplicateRqiError, WsRequestAbortedError, WsRequestTimeoutError } from './errors.js';
import { renewedIfEmpty } from '../../util/young-collections.js';

interface Pending {
  readonly resolve: (rsp: ResponsePrimitive) => void;
  readonly reject: (err: Error) => void;
  readonly timer: TimerHandle | undefined;
  readonly signal: AbortSignal | undefined;
  readonly onAbort: (() => void) | undefined;
}

export interface CorrelatorOptions {
  readonly clock: Clock;
  readonly logger?: Logger;
}

export interface WaitOptions {
  /** Reject with `WS_REQUEST_TIMEOUT` after this; 0 or less waits forever. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal;
}

/** Pending requests keyed by `rqi`. */
export class Correlator {
  private pending = new Map<string, Pending>();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private idleWaiters: (() => void)[] = [];

  constructor(opts: CorrelatorOptions) {
    this.clock = opts.clock;
    this.logger = opts.logger ?? silentLogger;
  }

  /** Requests waiting for a response. */
  get size(): number {
    return this.pending.size;
  }

  has(rqi: string): boolean {
    return this.pending.has(rqi);
  }

  /**
   * Registers `rqi` and returns the promise of its response. Rejects at once with
   * `WS_DUPLICATE_RQI` if that `rqi` is already pending, or `WS_REQUEST_ABORTED` if the signal
   * has already fired (nothing is registered then).
   */
  wait(rqi: string, opts: WaitOptions): Promise<ResponsePrimitive> {
    if (this.pending.has(rqi)) return Promise.reject(new WsDuplicateRqiError(rqi));
    const signal = opts.signal;
    if (signal?.aborted) return Promise.reject(new WsRequestAbortedError(rqi, signal.reason));
    return new Promise<ResponsePrimitive>((resolve, reject) => {
      const timer =
        opts.timeoutMs > 0
          ? this.clock.setTimeout(() => {
              this.settle(rqi, new WsRequestTimeoutError(rqi, opts.timeoutMs));
            }, opts.timeoutMs)
          : undefined;
      const onAbort = signal
        ? () => {
            this.settle(rqi, new WsRequestAbortedError(rqi, signal.reason));
          }
        : undefined;
      if (signal && onAbort) signal.addEventListener('abort', onAbort, { once: true });
      this.pending.set(rqi, { resolve, reject, timer, signal, onAbort });
    });
  }

  /** Delivers a response; returns false (and logs) when no request waits for its `rqi`. */
  resolve(rsp: ResponsePrimitive): boolean {
    if (!this.pending.has(rsp.rqi)) {
      this.logger.warn('response with unknown rqi dropped', {
        code: 'WS_UNKNOWN_RQI',
        rqi: rsp.rqi,
        rsc: rsp.rsc,
      });
      return false;
    }
    this.settle(rsp.rqi, rsp);
    return true;
  }

  /** Fails one pending request; returns false when `rqi` is not pending. */
  reject(rqi: string, err: Error): boolean {
    if (!this.pending.has(rqi)) return false;
    this.settle(rqi, err);
    return true;
  }

  /** Fails every pending request (the link is gone). */
  rejectAll(err: Error): void {
    for (const rqi of [...this.pending.keys()]) this.settle(rqi, err);
  }

  /** Resolves once nothing is pending (at once if nothing is). */
  idle(): Promise<void> {
    if (this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** The one exit path: remove the entry and its timer/listener, then settle. */
  private settle(rqi: string, outcome: ResponsePrimitive | Error): void {
    const p = this.pending.get(rqi);
    if (!p) return;
    this.pending.delete(rqi);
    this.pending = renewedIfEmpty(this.pending);
    if (p.timer !== undefined) this.clock.clearTimeout(p.timer);
    if (p.signal && p.onAbort) p.signal.removeEventListener('abort', p.onAbort);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
    if (this.pending.size === 0 && this.idleWaiters.length > 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }
}
