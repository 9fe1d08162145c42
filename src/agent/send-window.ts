/**
 * The uplink's send window: what is in flight (by id and by stream), which streams are held back
 * for a retry, and the one wake-up the drain loop sleeps on. The uplink decides what to send and
 * what an answer means; this keeps the bookkeeping of it.
 *
 * Retries keep each stream in order. When an upload fails in a way that leaves it in the outbox
 * (no answer in time, a 5xxx, a registration check under way), its whole stream is held back, not
 * just the entry: newer readings of that device wait until the failed one is due again, and then
 * the stream goes one request at a time, oldest first, until every entry that failed has been
 * delivered (or given up). Other streams keep their pipelining. Without this, readings taken after
 * a registrar stall overtook the ones whose requests had timed out during it. Held streams and
 * attempt counts outlive a connection; the in-flight part and the wake-up are per drain (`open`).
 */
import { stepBackoff } from '../util/backoff.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { renewedIfEmpty } from '../util/young-collections.js';

/** Delays before the n-th retry of an entry (the last one repeats). */
const RETRY_DELAY_MS = stepBackoff([1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000]);

interface StreamHold {
  /** Monotonic ms before which nothing of the stream is sent. */
  notBeforeMono: number;
  /** Ids of the stream that failed and are not delivered yet. */
  readonly failed: Set<number>;
}

export class SendWindow {
  // ---- in flight (one drain) ----
  private running = new Map<number, Promise<void>>();
  /** Ids in flight; the outbox keeps the set `idsForNext` last gave it by reference. */
  private ids = new Set<number>();
  private byStream = new Map<string, number>();
  // ---- held back for a retry (across drains) ----
  private readonly attempts = new Map<number, number>();
  private readonly held = new Map<string, StreamHold>();
  // ---- the wake-up (one drain) ----
  private poked = false;
  private wake: (() => void) | undefined;
  private retryTimer: TimerHandle | undefined;
  private retryAtMono = Infinity;

  constructor(private readonly clock: Clock) {}

  /** Starts a drain: no poke pending yet. */
  open(): void {
    this.poked = false;
    this.wake = undefined;
  }

  /** Ends a drain: no more retry timer. */
  close(): void {
    if (this.retryTimer) this.clock.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.retryAtMono = Infinity;
  }

  // ---- in flight ----

  /**
   * The ids in flight, for the outbox's `next` (which keeps the set by reference until its next
   * call), renewed when empty (util/young-collections.ts); only here, so the outbox's set and the
   * one entries are added to stay the same between two `next` calls.
   */
  idsForNext(): ReadonlySet<number> {
    this.ids = renewedIfEmpty(this.ids);
    return this.ids;
  }

  /** Requests in flight. */
  get size(): number {
    return this.running.size;
  }

  /** Requests of `stream` in flight. */
  countOf(stream: string): number {
    return this.byStream.get(stream) ?? 0;
  }

  /** Records the entry as in flight and starts `send`; when it settles, the slot frees and the drain wakes. */
  start(entry: { readonly id: number; readonly stream: string }, send: () => Promise<void>): void {
    this.byStream.set(entry.stream, this.countOf(entry.stream) + 1);
    this.ids.add(entry.id);
    this.running.set(
      entry.id,
      send().finally(() => {
        this.running.delete(entry.id);
        this.ids.delete(entry.id);
        const left = this.countOf(entry.stream) - 1;
        if (left > 0) this.byStream.set(entry.stream, left);
        else this.byStream.delete(entry.stream);
        this.running = renewedIfEmpty(this.running);
        this.byStream = renewedIfEmpty(this.byStream);
        this.poke();
      }),
    );
  }

  /** Resolves when every request started so far has finished. */
  async settled(): Promise<void> {
    await Promise.allSettled(this.running.values());
  }

  // ---- held back for a retry ----

  /**
   * Records a failed attempt of entry `id` of `stream` and holds the stream back; returns the
   * number of attempts so far. `delay: false` counts no attempt and holds nothing back in time (the
   * entry may go again at once, e.g. after a registration check), but the stream still goes one
   * request at a time until the entry is delivered.
   */
  failed(stream: string, id: number, nowMono: number, delay = true): number {
    const hold = this.held.get(stream) ?? { notBeforeMono: 0, failed: new Set<number>() };
    hold.failed.add(id);
    this.held.set(stream, hold);
    if (!delay) return this.attempts.get(id) ?? 0;
    const n = (this.attempts.get(id) ?? 0) + 1;
    this.attempts.set(id, n);
    const delayMs = RETRY_DELAY_MS(n - 1);
    hold.notBeforeMono = Math.max(hold.notBeforeMono, nowMono + delayMs);
    return n;
  }

  /** Entry `id` left the outbox (delivered, quarantined): it no longer holds its stream back. */
  done(stream: string, id: number): void {
    this.attempts.delete(id);
    const hold = this.held.get(stream);
    if (!hold) return;
    hold.failed.delete(id);
    if (hold.failed.size === 0) this.held.delete(stream);
  }

  /**
   * Whether `entry` may go now. A held stream goes one request at a time, oldest first: not while
   * one of it is in flight; else `entry` is its oldest, and failed ids older than it have left the
   * outbox meanwhile (evicted, expired).
   */
  mayStart(entry: { readonly id: number; readonly stream: string }): boolean {
    const hold = this.held.get(entry.stream);
    if (!hold) return true;
    if (this.countOf(entry.stream) > 0) return false;
    for (const f of hold.failed) if (f < entry.id) this.done(entry.stream, f);
    return true;
  }

  /** Streams not to send from now: held back in time, or held and with a request in flight. */
  streamsToSkip(nowMono: number): Set<string> {
    const out = new Set<string>();
    for (const [stream, hold] of this.held) {
      if (hold.notBeforeMono > nowMono || this.countOf(stream) > 0) out.add(stream);
    }
    return out;
  }

  /** The earliest monotonic ms after `nowMono` at which a held-back stream may go again. */
  nextDueMono(nowMono: number): number {
    let next = Infinity;
    for (const hold of this.held.values())
      if (hold.notBeforeMono > nowMono) next = Math.min(next, hold.notBeforeMono);
    return next;
  }

  // ---- the wake-up ----
  // One wake-up for the whole drain, poked by every event (a response, an append, a retry falling
  // due, the end). Racing fresh promises on each pass instead left one listener per pass on the
  // outbox, the abort signal and `conn.closed` until the drain ended: one per request sent, 100k
  // for a 100k backlog.

  /** Wakes the drain (or makes its next `sleep` return at once). */
  readonly poke = (): void => {
    this.poked = true;
    const w = this.wake;
    this.wake = undefined;
    w?.();
  };

  /** Sleeps until the next poke, making sure one comes when the retry due at `dueMono` falls due. */
  async sleep(dueMono: number, nowMono: number): Promise<void> {
    this.retryAt(dueMono, nowMono);
    if (!this.poked)
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
    this.poked = false;
  }

  /** One retry timer, the earliest. */
  private retryAt(dueMono: number, nowMono: number): void {
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
}
