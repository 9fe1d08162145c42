/**
 * The uplink drain's bookkeeping, kept apart from what it sends: the requests in flight (by id and
 * by stream), and the one wake-up the drain loop sleeps on.
 */
import type { Clock, TimerHandle } from '../util/clock.js';

/** Requests in flight on one drain. `ids` is live: the outbox keeps it by reference. */
export class InFlightUploads {
  private readonly running = new Map<number, Promise<void>>();
  readonly ids = new Set<number>();
  private readonly byStream = new Map<string, number>();

  get size(): number {
    return this.running.size;
  }

  /** Requests of `stream` in flight. */
  readonly countOf = (stream: string): number => this.byStream.get(stream) ?? 0;

  /** Records the entry and starts `run`, which calls `done` when it has finished. */
  add(
    entry: { readonly id: number; readonly stream: string },
    run: (done: () => void) => Promise<void>,
  ): void {
    this.byStream.set(entry.stream, this.countOf(entry.stream) + 1);
    this.ids.add(entry.id);
    this.running.set(
      entry.id,
      run(() => {
        this.running.delete(entry.id);
        this.ids.delete(entry.id);
        const left = this.countOf(entry.stream) - 1;
        if (left > 0) this.byStream.set(entry.stream, left);
        else this.byStream.delete(entry.stream);
      }),
    );
  }

  /** Resolves when every request started so far has finished. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.running.values());
  }
}

/**
 * One wake-up for the whole drain, poked by every event (a response, an append, a retry falling
 * due, the end). Racing fresh promises on each pass instead left one listener per pass on the
 * outbox, the abort signal and `conn.closed` until the drain ended: one per request sent, 100k
 * for a 100k backlog.
 */
export class DrainWakeup {
  private poked = false;
  private wake: (() => void) | undefined;
  private retryTimer: TimerHandle | undefined;
  private retryAtMono = Infinity;

  constructor(private readonly clock: Clock) {}

  readonly poke = (): void => {
    this.poked = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  };

  /** Makes sure a poke comes when the retry due at `dueMono` falls due (one timer, the earliest). */
  retryAt(dueMono: number, nowMono: number): void {
    if (dueMono >= this.retryAtMono) return;
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryAtMono = dueMono;
    this.retryTimer = this.clock.setTimeout(
      () => {
        this.retryTimer = undefined;
        this.retryAtMono = Infinity;
        this.poke();
      },
      Math.max(1, dueMono - nowMono),
    );
    this.retryTimer.unref?.();
  }

  /** Resolves at the next poke (at once if one came since the last sleep). */
  async sleep(): Promise<void> {
    if (!this.poked)
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    this.poked = false;
  }

  dispose(): void {
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
  }
}
