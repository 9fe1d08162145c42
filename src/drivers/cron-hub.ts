/**
 * One timer for every cron-sampled device: the hub wakes at the next instant any registered
 * expression matches and fires every trigger due then, in the same wake-up. `CronMatcher` finds
 * the next match in local time (cron-match.ts); node-cron's runner (one timer chain per task, per
 * device) is not used.
 */
import { CronMatcher, localOffsetAt, type OffsetAt } from './cron-match.js';

/** Longest single wait; a later instant is reached by waking up and re-arming. */
const MAX_DELAY_MS = 3_600_000;

interface Group {
  readonly matcher: CronMatcher;
  readonly fires: Set<() => void>;
  /** Epoch ms of the next match. */
  next: number;
}

/** Timers the hub arms and its clock (the system's by default; tests count or drive them). */
export interface HubTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** Wall clock, ms since the epoch (`Date.now` when absent). */
  nowMs?(): number;
}

const systemTimers: HubTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => {
    clearTimeout(h as NodeJS.Timeout);
  },
};

export class CronHub {
  /** Triggers grouped by expression: one matcher each. */
  private readonly groups = new Map<string, Group>();
  private timer: unknown;

  constructor(
    private readonly timers: HubTimers = systemTimers,
    private readonly offsetAt: OffsetAt = localOffsetAt,
  ) {}

  /** Calls `fire` at every instant `expr` (already validated) matches; returns the remover. */
  add(expr: string, fire: () => void): () => void {
    let g = this.groups.get(expr);
    if (!g) {
      const matcher = new CronMatcher(expr, this.offsetAt);
      g = { matcher, fires: new Set(), next: matcher.next(this.now()) ?? Infinity };
      this.groups.set(expr, g);
    }
    const group = g;
    // A wrapper per call, so the same function added twice is two triggers.
    const entry = (): void => {
      fire();
    };
    group.fires.add(entry);
    this.arm();
    return () => {
      group.fires.delete(entry);
      if (group.fires.size === 0 && this.groups.get(expr) === group) {
        this.groups.delete(expr);
      }
      this.arm();
    };
  }

  /** Registered triggers (tests). */
  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.fires.size;
    return n;
  }

  private now(): number {
    return this.timers.nowMs?.() ?? Date.now();
  }

  private arm(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    let next = Infinity;
    for (const g of this.groups.values()) next = Math.min(next, g.next);
    if (next === Infinity) return;
    this.timer = this.timers.setTimeout(
      () => {
        this.timer = undefined;
        this.tick();
      },
      // Node turns delays beyond 2^31 - 1 ms into 1 ms: a far instant is approached in steps.
      Math.min(MAX_DELAY_MS, Math.max(0, next - this.now())),
    );
  }

  private tick(): void {
    const now = this.now();
    const due: (() => void)[] = [];
    for (const g of this.groups.values()) {
      if (g.next > now) continue; // woke early (timer rounding): the re-arm below waits the rest
      due.push(...g.fires);
      // From the real clock: instants missed while the loop was blocked are skipped, not queued.
      g.next = g.matcher.next(now) ?? Infinity;
    }
    this.arm();
    for (const fire of due) fire();
  }
}

/** The hub every `cronTrigger` of this process shares. */
export const sharedCronHub = new CronHub();
