/**
 * Reconnect delays: exponential growth with "full jitter" (each delay drawn uniformly between the
 * floor and the exponential ceiling), so a fleet of boards that lost the same registrar does not
 * reconnect in lockstep. Never below the floor (no tight loop), never above the cap. A plain
 * function of the attempt number (paho's style); the link resets the attempt count once the
 * registrar answered a request, or a connection stayed up for a while (connectivity/link.ts).
 */
import { BackoffOptionsError } from './errors.js';

export interface BackoffOptions {
  /** Shortest delay, also the delay of attempt 0. */
  readonly floorMs: number;
  /** Longest delay. */
  readonly capMs: number;
  /** Growth of the ceiling per attempt (default 2). */
  readonly factor?: number;
  /** Uniform random in [0, 1); injected by tests. */
  readonly random?: () => number;
}

/** Returns `(attempt) => delay ms`: uniform in [floor, min(cap, floor * factor^attempt)], whole ms. */
export function exponentialBackoff(opts: BackoffOptions): (attempt: number) => number {
  const { floorMs, capMs, factor = 2, random = Math.random } = opts;
  if (!Number.isFinite(floorMs) || floorMs <= 0)
    throw new BackoffOptionsError(`floorMs must be > 0, got ${floorMs}`);
  if (!Number.isFinite(capMs) || capMs < floorMs) {
    throw new BackoffOptionsError(`capMs must be >= floorMs (${floorMs}), got ${capMs}`);
  }
  if (!Number.isFinite(factor) || factor < 1)
    throw new BackoffOptionsError(`factor must be >= 1, got ${factor}`);
  return (attempt: number): number => {
    const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
    // factor ** n overflows to Infinity for large n; min() then yields the cap, as intended.
    const ceilingMs = Math.min(capMs, floorMs * factor ** n);
    const r = random();
    const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
    const ms = Math.round(floorMs + unit * (ceilingMs - floorMs));
    return Math.min(capMs, Math.max(floorMs, ms));
  };
}
