/**
 * Retries that keep each stream in order. When an upload fails in a way that leaves it in the
 * outbox (no answer in time, a 5xxx, a registration check under way), its whole stream is held
 * back, not just the entry: newer readings of that device wait until the failed one is due again,
 * and then the stream goes one request at a time, oldest first, until every entry that failed has
 * been delivered (or given up). Other streams keep their pipelining. Without this, readings taken
 * after a registrar stall overtook the ones whose requests had timed out during it.
 */

import { stepBackoff } from '../util/backoff.js';

/** Delays before the n-th retry of an entry (the last one repeats). */
const RETRY_DELAY_MS = stepBackoff([1_000, 2_000, 5_000, 10_000, 30_000, 60_000, 120_000, 300_000]);

interface StreamHold {
  /** Monotonic ms before which nothing of the stream is sent. */
  notBeforeMono: number;
  /** Ids of the stream that failed and are not delivered yet. */
  readonly failed: Set<number>;
}

export class StreamRetries {
  private readonly attempts = new Map<number, number>();
  private readonly streams = new Map<string, StreamHold>();

  /**
   * Records a failed attempt of entry `id` of `stream` and holds the stream back; returns the
   * number of attempts so far. `delay: false` counts no attempt and holds nothing back in time (the
   * entry may go again at once, e.g. after a registration check), but the stream still goes one
   * request at a time until the entry is delivered.
   */
  failed(stream: string, id: number, nowMono: number, delay = true): number {
    const hold = this.streams.get(stream) ?? { notBeforeMono: 0, failed: new Set<number>() };
    hold.failed.add(id);
    this.streams.set(stream, hold);
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
    const hold = this.streams.get(stream);
    if (!hold) return;
    hold.failed.delete(id);
    if (hold.failed.size === 0) this.streams.delete(stream);
  }

  /** True while `stream` has an undelivered failed entry: it then goes one request at a time. */
  isHeld(stream: string): boolean {
    return this.streams.has(stream);
  }

  /**
   * `id` is the oldest entry of a held stream the outbox handed out with nothing of the stream in
   * flight: failed ids older than it have left the outbox meanwhile (evicted, expired).
   */
  oldestIs(stream: string, id: number): void {
    const hold = this.streams.get(stream);
    if (!hold) return;
    for (const f of hold.failed) if (f < id) this.done(stream, f);
  }

  /** Streams not to send from now: held back in time, or held and with a request in flight. */
  streamsToSkip(nowMono: number, inFlightOf: (stream: string) => number): Set<string> {
    const out = new Set<string>();
    for (const [stream, hold] of this.streams) {
      if (hold.notBeforeMono > nowMono || inFlightOf(stream) > 0) out.add(stream);
    }
    return out;
  }

  /** The earliest monotonic ms after `nowMono` at which a held-back stream may go again. */
  nextDueMono(nowMono: number): number {
    let next = Infinity;
    for (const hold of this.streams.values())
      if (hold.notBeforeMono > nowMono) next = Math.min(next, hold.notBeforeMono);
    return next;
  }
}
