/**
 * Time as the agent sees it. Injected everywhere so tests can run schedules, backoff and expiry
 * without waiting, and so a wall-clock jump (NTP after boot on a board without RTC) can be told
 * apart from elapsed time: `monotonicMs` never jumps.
 */
export interface Clock {
  /** Wall clock, ms since the epoch (may jump). */
  nowMs(): number;
  /** Monotonic ms since an arbitrary origin (never jumps). */
  monotonicMs(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  unref?(): unknown;
}

export const systemClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => {
    clearTimeout(h as ReturnType<typeof setTimeout>);
  },
};

/**
 * The system clock with a monotonic origin shared by every process of the same boot
 * (CLOCK_MONOTONIC through `process.hrtime`), unlike `performance.now()` which restarts at zero in
 * each process. Stored monotonic stamps must come from a clock like this one, or a restart within
 * the same boot would compare readings from two different origins.
 */
export const bootClock: Clock = {
  nowMs: () => Date.now(),
  monotonicMs: () => Number(process.hrtime.bigint()) / 1e6,
  setTimeout: (fn, ms) => systemClock.setTimeout(fn, ms),
  clearTimeout: (h) => {
    systemClock.clearTimeout(h);
  },
};

/** A manual clock for tests: time moves only when `advance` is called; timers fire in order. */
export class ManualClock implements Clock {
  private wallOffsetMs: number;
  private mono = 0;
  private seq = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();

  constructor(startWallMs = Date.UTC(2026, 0, 1)) {
    this.wallOffsetMs = startWallMs;
  }
  nowMs(): number {
    return this.wallOffsetMs + this.mono;
  }
  monotonicMs(): number {
    return this.mono;
  }
  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.seq;
    this.timers.set(id, { at: this.mono + Math.max(0, ms), fn });
    return { id } as TimerHandle;
  }
  clearTimeout(handle: TimerHandle): void {
    this.timers.delete((handle as { id: number }).id);
  }
  /** Jump the wall clock only (as NTP would); monotonic time is unchanged. */
  jumpWall(deltaMs: number): void {
    this.wallOffsetMs += deltaMs;
  }
  /** Move time forward, firing due timers in order. */
  advance(ms: number): void {
    const target = this.mono + ms;
    for (;;) {
      let next: [number, { at: number; fn: () => void }] | undefined;
      for (const e of this.timers) if (e[1].at <= target && (!next || e[1].at < next[1].at)) next = e;
      if (!next) break;
      this.timers.delete(next[0]);
      this.mono = next[1].at;
      next[1].fn();
    }
    this.mono = target;
  }
  pendingTimers(): number {
    return this.timers.size;
  }
}
