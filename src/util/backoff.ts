/**
 * Every retry delay of the agent, as a plain function of the attempt number (paho's style):
 * `(attempt) => ms`. Exponential schedules grow from a floor to a cap, either with "full jitter"
 * (the link: a fleet of boards that lost the same registrar does not reconnect in lockstep), with
 * proportional jitter (driver opens) or none (serial reopens); step tables give hand-picked pauses
 * (registration set-up, upload retries). The caller keeps the attempt count and resets it when the
 * thing it retries has worked for a while (connectivity/link.ts, drivers/device-runner.ts).
 */
import { AgentError } from './errors.js';

/** Delay in ms before attempt `attempt` (0-based). */
export type Backoff = (attempt: number) => number;

/** Backoff options that cannot give sensible delays (programming or configuration error). */
export class BackoffOptionsError extends AgentError {
  override readonly name = 'BackoffOptionsError';
  constructor(message: string) {
    super('BACKOFF_OPTIONS_INVALID', message, {
      hint: 'use 0 < floorMs <= capMs and factor >= 1 (link.backoffFloorMs, link.backoffCapMs)',
    });
  }
}

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

function checkOptions(floorMs: number, capMs: number, factor: number): void {
  if (!Number.isFinite(floorMs) || floorMs <= 0)
    throw new BackoffOptionsError(`floorMs must be > 0, got ${floorMs}`);
  if (!Number.isFinite(capMs) || capMs < floorMs) {
    throw new BackoffOptionsError(`capMs must be >= floorMs (${floorMs}), got ${capMs}`);
  }
  if (!Number.isFinite(factor) || factor < 1)
    throw new BackoffOptionsError(`factor must be >= 1, got ${factor}`);
}

/** `min(cap, floor * factor^attempt)`; a huge attempt overflows to Infinity and min() yields the cap. */
function ceilingMs(floorMs: number, capMs: number, factor: number, attempt: number): number {
  return Math.min(capMs, floorMs * factor ** attempt);
}

/** Returns `(attempt) => delay ms`: uniform in [floor, min(cap, floor * factor^attempt)], whole ms. */
export function exponentialBackoff(opts: BackoffOptions): Backoff {
  const { floorMs, capMs, factor = 2, random = Math.random } = opts;
  checkOptions(floorMs, capMs, factor);
  return (attempt: number): number => {
    const n = Number.isFinite(attempt) && attempt > 0 ? Math.floor(attempt) : 0;
    const r = random();
    const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1) : 0;
    const ms = Math.round(floorMs + unit * (ceilingMs(floorMs, capMs, factor, n) - floorMs));
    return Math.min(capMs, Math.max(floorMs, ms));
  };
}

/**
 * Returns `(attempt) => delay ms`: `min(cap, floor * factor^attempt)`, multiplied by a factor drawn
 * uniformly in [1 - jitter, 1 + jitter) when `jitter` (a fraction, e.g. 0.2 for ±20 %) is given,
 * rounded to whole ms. With jitter, a delay may lie up to `jitter` above the cap.
 */
export function doublingBackoff(opts: BackoffOptions & { readonly jitter?: number }): Backoff {
  const { floorMs, capMs, factor = 2, jitter = 0, random = Math.random } = opts;
  checkOptions(floorMs, capMs, factor);
  return (attempt: number): number => {
    const base = ceilingMs(floorMs, capMs, factor, Math.max(0, attempt));
    if (jitter === 0) return base;
    return Math.round(base * (1 - jitter + 2 * jitter * random()));
  };
}

/**
 * Returns `(attempt) => delay ms` from a table of hand-picked pauses: `stepsMs[attempt]`, the last
 * step repeating once the table runs out.
 */
export function stepBackoff(stepsMs: readonly number[]): Backoff {
  const last = stepsMs.at(-1);
  if (last === undefined || stepsMs.some((ms) => !Number.isFinite(ms) || ms < 0))
    throw new BackoffOptionsError(
      `steps must be a non-empty list of delays >= 0, got [${stepsMs.join(', ')}]`,
    );
  return (attempt: number): number => stepsMs[Math.max(0, Math.floor(attempt))] ?? last;
}
