/**
 * The link manager: decides when the WebSocket connection to the registrar should be up, opens it,
 * runs the agent's session over it, and closes it again. States are an explicit union.
 *
 * - No schedule: always up (optionally closed after `idleCloseMs` with nothing to do; TS-0020: the
 *   client reopens when it has a request to send).
 * - With a schedule: up inside windows; outside them only while urgent (`immediate`) work waits,
 *   plus `urgentLingerMs` after it was delivered. Ordinary traffic never keeps the link open past
 *   a window's end (a device sampling every second would otherwise hold it open for ever).
 * - Failures back off with the injected policy. The attempt count starts over once the registrar
 *   has shown it works: a request on the connection was answered (`touch`), or the connection
 *   stayed up `stableAfterMs`. After a restart the registrar is thus reached again within about
 *   the backoff floor, not after the minutes the outage had grown the delay to; a registrar that
 *   accepts connections but answers nothing keeps the delay growing. A connection that was
 *   answered but then dropped still waits one floor-sized delay (no reconnect storm against a
 *   registrar that drops every connection after its first answer); only one that stayed up
 *   `stableAfterMs` is replaced at once. One log line per state change, never per attempt: while
 *   retrying, the connecting/backingOff cycle of each attempt is logged at debug level only.
 */
import type { Connection } from '../binding/ws/types.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';

export type LinkState = 'idle' | 'connecting' | 'up' | 'backingOff' | 'closing' | 'stopped';

/** The window logic the link needs (implemented by `connectivity/schedule.ts`). */
export interface WindowPolicy {
  isInside(ms: number): boolean;
  nextOpening(afterMs: number): number | undefined;
  windowEnd(ms: number): number | undefined;
}

export type LinkSession = (conn: Connection, signal: AbortSignal) => Promise<void>;

export interface LinkOptions {
  connect: () => Promise<Connection>;
  /**
   * Runs while the link is up; must return soon after `signal` aborts. May instead be given to
   * `start`, so the link can be built before the part that runs its sessions.
   */
  session?: LinkSession;
  schedule?: WindowPolicy;
  hasUrgentWork: () => boolean;
  hasWork: () => boolean;
  backoff: (attempt: number) => number;
  clock: Clock;
  logger?: Logger;
  stableAfterMs?: number;
  closeGraceMs?: number;
  idleCloseMs?: number;
  urgentLingerMs?: number;
  onStateChange?: (state: LinkState) => void;
}

export interface LinkStats {
  readonly state: LinkState;
  readonly subprotocol?: string;
  /** The compression the current (or last) connection agreed on, if any. */
  readonly compression?: string;
  /** Wall-clock ms of the last state change. */
  readonly sinceMs: number;
  readonly reconnects: number;
  readonly failedAttempts: number;
  readonly lastError?: string;
}

export class Link {
  private state: LinkState = 'idle';
  private sinceMs: number;
  private stopped = false;
  private attempt = 0;
  private reconnects = 0;
  private everUp = false;
  /** A request on the current connection was answered: the registrar works. */
  private answered = false;
  private lastError?: string;
  private subprotocol?: string;
  private compression?: string;
  private lastActivityMono: number;
  /** Urgent work was pending at the last evaluation (outside a window). */
  private urgentSeen = false;
  /** When urgent work was last seen pending; the linger outside windows runs from here. */
  private lastUrgentMono = -Infinity;
  /** Between a failed attempt and the next `up`: attempt-by-attempt state changes are not logged. */
  private retrying = false;
  private wakeResolve?: () => void;
  private running?: Promise<void>;
  private session?: LinkSession;
  private readonly log: Logger;

  constructor(private readonly o: LinkOptions) {
    this.log = (o.logger ?? silentLogger).child({ component: 'link' });
    this.sinceMs = o.clock.nowMs();
    this.lastActivityMono = o.clock.monotonicMs();
  }

  start(session?: LinkSession): void {
    this.session ??= session ?? this.o.session;
    if (!this.session) throw new Error('Link.start: no session given');
    this.running ??= this.loop().catch((err: unknown) => {
      this.log.error('link manager failed', { error: describeError(err) });
    });
  }

  /** Stops the link: the connection is closed with 1001 (going away) after the close grace. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake();
    await this.running;
    this.setState('stopped');
  }

  /** Re-evaluates now (new work was queued, e.g. an `immediate` reading). */
  wake(): void {
    const r = this.wakeResolve;
    this.wakeResolve = undefined;
    r?.();
  }

  /**
   * Records activity: a request was answered (or the registrar sent us one). This keeps an
   * idle-closing link open, and proves the registrar works: the backoff attempt count starts over.
   */
  touch(): void {
    this.lastActivityMono = this.o.clock.monotonicMs();
    if (this.state === 'up' || this.state === 'closing') this.answered = true;
    // Urgent work may just have been delivered: re-evaluate so the linger starts now.
    if (this.urgentSeen) this.wake();
  }

  stats(): LinkStats {
    return {
      state: this.state,
      ...(this.subprotocol === undefined ? {} : { subprotocol: this.subprotocol }),
      ...(this.compression === undefined ? {} : { compression: this.compression }),
      sinceMs: this.sinceMs,
      reconnects: this.reconnects,
      failedAttempts: this.attempt,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private setState(s: LinkState, fields: Record<string, unknown> = {}): void {
    if (s === this.state) return;
    this.state = s;
    this.sinceMs = this.o.clock.nowMs();
    const perAttempt = this.retrying && (s === 'connecting' || s === 'backingOff');
    const level = perAttempt ? 'debug' : s === 'backingOff' ? 'warn' : 'info';
    this.log[level](`link ${s}`, fields);
    if (s === 'backingOff') this.retrying = true;
    else if (s !== 'connecting') this.retrying = false;
    this.o.onStateChange?.(s);
  }

  /** Whether the link should be open at wall time `now`. */
  private wanted(now: number, isUp: boolean): boolean {
    const idleForMs = this.o.clock.monotonicMs() - this.lastActivityMono;
    const { schedule } = this.o;
    if (!schedule) {
      const idleClose = this.o.idleCloseMs ?? 0;
      if (idleClose > 0 && isUp && !this.o.hasWork() && idleForMs >= idleClose) return false;
      if (idleClose > 0 && !isUp) return this.o.hasWork() || !this.everUp;
      return true;
    }
    if (schedule.isInside(now)) return true;
    const mono = this.o.clock.monotonicMs();
    if (this.o.hasUrgentWork()) {
      this.urgentSeen = true;
      this.lastUrgentMono = mono;
      return true;
    }
    if (this.urgentSeen) {
      this.urgentSeen = false;
      this.lastUrgentMono = mono;
    }
    return isUp && mono - this.lastUrgentMono < (this.o.urgentLingerMs ?? 10_000);
  }

  /** Wall ms at which `wanted` may change by itself (not counting wake-ups). */
  private nextCheck(now: number, isUp: boolean): number | undefined {
    const { schedule } = this.o;
    const mono = this.o.clock.monotonicMs();
    // When the limit has passed but the link is still wanted (work waiting, e.g. an entry whose
    // retry is not due yet), look again one limit later rather than every millisecond.
    const after = (sinceMono: number, limit: number): number => {
      const left = limit - (mono - sinceMono);
      return now + (left > 0 ? left + 1 : limit);
    };
    if (!schedule) {
      const idleClose = this.o.idleCloseMs ?? 0;
      return isUp && idleClose > 0 ? after(this.lastActivityMono, idleClose) : undefined;
    }
    if (schedule.isInside(now)) return schedule.windowEnd(now);
    if (isUp) return after(this.lastUrgentMono, this.o.urgentLingerMs ?? 10_000);
    return schedule.nextOpening(now);
  }

  /** Sleeps until wall time `untilMs` (or forever when undefined), a wake-up, or stop. */
  private sleep(untilMs: number | undefined): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: TimerHandle | undefined;
      const done = (): void => {
        if (timer) this.o.clock.clearTimeout(timer);
        this.wakeResolve = undefined;
        resolve();
      };
      this.wakeResolve = done;
      if (untilMs !== undefined) {
        // Long sleeps are cut into hours so a wall-clock jump is noticed within one.
        const ms = Math.min(Math.max(0, untilMs - this.o.clock.nowMs()), 3_600_000);
        timer = this.o.clock.setTimeout(done, ms);
        timer.unref?.();
      }
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      const now = this.o.clock.nowMs();
      if (!this.wanted(now, false)) {
        this.setState('idle');
        await this.sleep(this.nextCheck(now, false));
        continue;
      }
      this.setState('connecting');
      let conn: Connection;
      try {
        conn = await this.o.connect();
      } catch (err) {
        await this.failed(err);
        continue;
      }
      if (this.stopped) {
        await conn.close(1001, 'agent stopping', 0);
        break;
      }
      await this.runUp(conn);
    }
  }

  private async failed(err: unknown): Promise<void> {
    this.attempt++;
    this.lastError = describeError(err);
    const delay = this.o.backoff(this.attempt);
    this.setState('backingOff', { error: this.lastError, attempt: this.attempt });
    this.log.debug('retrying', { delayMs: delay, attempt: this.attempt, error: this.lastError });
    // Timed on the monotonic clock: a wall-clock jump back (NTP) must not stretch it by years.
    const untilMono = this.o.clock.monotonicMs() + delay;
    // A wake-up does not cut a backoff short (never faster than the floor), only stop does.
    while (!this.stopped && this.o.clock.monotonicMs() < untilMono) {
      await this.sleep(this.o.clock.nowMs() + (untilMono - this.o.clock.monotonicMs()));
    }
  }

  private async runUp(conn: Connection): Promise<void> {
    const upMono = this.o.clock.monotonicMs();
    if (this.everUp) this.reconnects++;
    this.everUp = true;
    this.subprotocol = conn.subprotocol;
    this.answered = false;
    this.lastActivityMono = upMono;
    this.compression = conn.compression;
    this.setState('up', { subprotocol: conn.subprotocol, attempts: this.attempt });
    const ac = new AbortController();
    const run = this.session ?? ((): Promise<void> => Promise.resolve());
    const session = run(conn, ac.signal).catch((err: unknown) => {
      this.log.warn('session ended with an error', { error: describeError(err) });
    });
    let closedInfo = false;
    void conn.closed.then(() => {
      closedInfo = true;
      this.wake();
    });
    // `conn.closed` wakes the loop once; it is not handed to every sleep, which would pile up
    // one reaction per wake-up (one per reading) on a promise that may stay pending for days.
    while (!this.stopped && !closedInfo && this.wanted(this.o.clock.nowMs(), true)) {
      await this.sleep(this.nextCheck(this.o.clock.nowMs(), true));
    }
    ac.abort();
    if (conn.isOpen) {
      this.setState('closing');
      await conn.close(
        this.stopped ? 1001 : 1000,
        this.stopped ? 'agent stopping' : this.o.schedule ? 'window closed' : 'idle',
        this.o.closeGraceMs ?? 10_000,
      );
    }
    await session;
    const info = await conn.closed;
    const stayedUp = this.o.clock.monotonicMs() - upMono >= (this.o.stableAfterMs ?? 60_000);
    if (stayedUp || this.answered) this.attempt = 0;
    if ((!info.local || info.error !== undefined) && !this.stopped) {
      // The peer (or the network) ended it: back off before reconnecting (from the first attempt if
      // it had answered), unless it had been stable.
      if (stayedUp) this.setState('idle', { code: info.code, reason: info.reason });
      else
        await this.failed(info.error ?? new Error(`connection closed by peer (${info.code} ${info.reason})`));
    }
  }
}
