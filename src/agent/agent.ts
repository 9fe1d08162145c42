/**
 * The agent: devices produce readings, readings go to the outbox first, the link manager opens
 * the connection when it should, and each session registers (once), then drains the outbox and
 * serves the registrar's requests. Concrete parts are injected by the composition root.
 */
import type { Connection } from '../binding/ws/types.js';
import { EVENT_CATEGORY_BY_NAME, type EventCategoryName } from '../protocol/codes.js';
import type { AgentConfig, DeviceConfig } from '../config/types.js';
import type { Device, Reading } from '../drivers/types.js';
import type { Link } from '../connectivity/link.js';
import type { Clock } from '../util/clock.js';
import { AgentError, describeError } from '../util/errors.js';
import { RegistrationError } from './errors.js';
import type { Logger } from '../util/log.js';
import type { ReadingRecord } from './reading-queue.js';
import type { EnsureResult, Registration } from './registration.js';
import type { Uplink } from './uplink.js';
import { CommandPoller, type AppliedCommands } from './command-poller.js';
import { COMMAND_CONTAINER_NAME } from './resources.js';
import { limitInFlight } from './in-flight-gate.js';
import type { Actuate } from './actuators.js';
import { stepBackoff } from '../util/backoff.js';
import { renewedIfEmpty } from '../util/young-collections.js';

/** Where a device's readings go in the outbox: its stream and event category (from its configuration). */
type ReadingSource = Pick<DeviceConfig, 'name' | 'eventCategory'>;

/** What the agent needs of the outbox besides draining. */
export interface AgentOutbox {
  append(record: ReadingRecord, ec: EventCategoryName): Promise<void>;
  hasImmediate(): boolean;
  depth(): number;
}

export interface AgentParts {
  readonly config: AgentConfig;
  readonly devices: readonly Device[];
  /** Applies a command to an actuator (the command poller's commands). */
  readonly actuate: Actuate;
  readonly outbox: AgentOutbox;
  /** What the agent uses of a registration: the ADN `<AE>` one, or the ASN `<remoteCSE>` one. */
  readonly registration: Pick<Registration, 'load' | 'ensure' | 'aePath' | 'aeId' | 'pathOf'>;
  readonly uplink: Uplink;
  readonly link: Link;
  readonly clock: Clock;
  readonly bootId: string;
  readonly logger: Logger;
  /** Media types for `csz`, given the negotiated serialization. */
  readonly csz: (conn: Connection) => readonly string[];
  /** After registering, true if this connection must be replaced (ACME: identify with the assigned AE-ID). */
  readonly needsReconnectAfterRegistration: (conn: Connection) => boolean;
  readonly onReading?: (device: string, readings: readonly Reading[]) => void;
  /** Persists which polled command was applied last (default: memory only). */
  readonly appliedCommands?: AppliedCommands;
  /** Device management (`management.ts`): runs beside the uplink for the session's life. */
  readonly management?: { run(conn: Connection, signal: AbortSignal): Promise<void> };
}

function memoryAppliedCommands(): AppliedCommands {
  const m = new Map<string, string>();
  return {
    get: (d) => m.get(d),
    set: (d, id) => {
      m.set(d, id);
      return Promise.resolve();
    },
  };
}

/** Pauses between set-up attempts on one connection. */
const SETUP_RETRY_MS = stepBackoff([1_000, 2_000, 5_000, 10_000, 30_000, 60_000]);
/**
 * Pauses after a refusal that the same request cannot overcome (a 4xxx on our registration, e.g.
 * a CSE-ID not on the registrar's allow-list): only a change on the registrar's side helps, so ask
 * rarely rather than in a loop. A new connection starts again at the short pauses.
 */
const REFUSED_RETRY_MS = stepBackoff([30_000, 120_000, 300_000, 600_000]);

export class Agent {
  private accepting = true;
  private current?: Connection;
  private appending = new Set<Promise<void>>();
  private poller?: CommandPoller;
  private readonly log: Logger;

  constructor(private readonly p: AgentParts) {
    this.log = p.logger.child({ component: 'agent' });
  }

  /** Starts the devices and the link. Resolves once every device has been started (or failed). */
  async start(): Promise<void> {
    await this.p.registration.load();
    for (const d of this.p.devices) {
      const source = this.sourceOf(d);
      try {
        d.start((readings) => {
          void this.record(source, readings);
        });
      } catch (err) {
        // A device that cannot start is reported in `status`; the others run on.
        this.log.error('device failed to start', { device: d.name, error: describeError(err) });
      }
    }
    this.p.link.start((conn, signal) => this.session(conn, signal));
  }

  /** Stops accepting readings, stops devices, closes the link (1001) after the grace. */
  async stop(): Promise<void> {
    // Devices first: a sample under way is still delivered and buffered; then no more readings,
    // and every append already started is awaited before the link (and then the outbox) closes.
    await Promise.allSettled(this.p.devices.map((d) => d.stop()));
    this.accepting = false;
    await Promise.allSettled(this.appending);
    await this.p.link.stop();
  }

  private sourceOf(d: Device): ReadingSource {
    const config = this.p.config.devices.find((c) => c.name === d.name);
    if (!config) throw new Error(`device ${d.name} is not configured`);
    return config;
  }

  /** Appends readings to the outbox before anything else happens to them. */
  private async record(d: ReadingSource, readings: readonly Reading[]): Promise<void> {
    if (!this.accepting || readings.length === 0) return;
    const first = readings[0];
    if (!first) return;
    // Readings sampled together share the first one's stamp: one stamp per record.
    const record: ReadingRecord = {
      device: d.name,
      values: readings,
      sampledAt: { wallMs: first.timeMs, monoMs: first.monoMs, bootId: this.p.bootId },
    };
    const appended = this.p.outbox.append(record, d.eventCategory);
    this.appending.add(appended);
    try {
      await appended;
    } catch (err) {
      // OUTBOX_FULL is logged by the outbox once per change (a full disk refuses every reading).
      if (!(err instanceof AgentError && err.code === 'OUTBOX_FULL'))
        this.log.error('reading could not be buffered', { device: d.name, error: describeError(err) });
      return;
    } finally {
      this.appending.delete(appended);
      this.appending = renewedIfEmpty(this.appending);
    }
    this.p.onReading?.(d.name, readings);
    this.p.link.wake();
  }

  /** One connection's worth of work: the link manager calls this when the link is up. */
  async session(conn: Connection, signal: AbortSignal): Promise<void> {
    this.current = conn;
    try {
      await this.runSession(conn, signal);
    } finally {
      if (this.current === conn) this.current = undefined;
    }
  }

  /**
   * Recreates resources the registrar deleted (e.g. our command subscription, announced by a
   * `sud` notification) on the open connection; without one, the next session does it.
   */
  resync(): void {
    const conn = this.current;
    if (!conn?.isOpen) return;
    void this.p.registration.ensure(conn, this.p.csz(conn)).catch((err: unknown) => {
      this.log.warn('recreating our resources failed; retried on the next connection', {
        error: describeError(err),
      });
    });
  }

  private async runSession(conn: Connection, signal: AbortSignal): Promise<void> {
    const result = await this.setUp(conn, signal);
    if (result === undefined) return;
    if (result === 'registered' && this.p.needsReconnectAfterRegistration(conn)) {
      this.log.info('reconnecting so the registrar identifies this connection by the assigned AE-ID');
      await conn.close(1000, 'reconnect with assigned AE-ID', 1000);
      return;
    }
    const compat = this.p.config.registrar.compat;
    const actuators = this.p.devices.filter((d) => d.kind === 'actuator').map((d) => d.name);
    if (!compat.notificationsOverLink && actuators.length > 0) {
      this.poller = new CommandPoller({
        conn,
        devices: actuators,
        commandPath: (device) => this.p.registration.pathOf(`${device}/${COMMAND_CONTAINER_NAME}`),
        aeId: this.p.registration.aeId ?? '',
        rvi: this.p.config.releaseVersion,
        intervalMs: compat.pollCommandsSeconds * 1000,
        clock: this.p.clock,
        logger: this.log,
        apply: this.p.actuate,
        applied: this.p.appliedCommands ?? memoryAppliedCommands(),
      });
      this.poller.start(signal);
    }
    const waiting = this.p.outbox.depth();
    // One line per connection, so a backlog that is (or is not) being sent shows in the journal.
    if (waiting > 0) this.log.info('sending buffered readings', { waiting });
    // The uplink keeps to maxInFlight alone; with management beside it, a gate keeps it for both.
    const shared = this.p.management ? limitInFlight(conn, compat.maxInFlight) : conn;
    const managing = this.p.management?.run(shared, signal);
    try {
      await this.p.uplink.drain(shared, signal);
    } finally {
      await managing;
    }
  }

  /**
   * Registration and resource set-up, retried on this connection with a growing pause when the
   * registrar refuses or does not answer: the link manager only watches the connection, so a
   * session that gave up would leave the link up and idle. Undefined once the link is going down.
   */
  private async setUp(conn: Connection, signal: AbortSignal): Promise<EnsureResult | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.p.registration.ensure(conn, this.p.csz(conn), () =>
          this.p.needsReconnectAfterRegistration(conn),
        );
      } catch (err) {
        if (signal.aborted || !conn.isOpen) return undefined;
        const refused = err instanceof RegistrationError && !err.retryable;
        const delayMs = (refused ? REFUSED_RETRY_MS : SETUP_RETRY_MS)(attempt - 1);
        this.log.warn(
          refused
            ? 'the registrar refused our registration; asking again later on this connection'
            : 'registration or resource set-up failed; retrying on this connection',
          {
            error: describeError(err),
            attempt,
            retryInMs: delayMs,
          },
        );
        await new Promise<void>((resolve) => {
          const finish = (): void => {
            this.p.clock.clearTimeout(timer);
            signal.removeEventListener('abort', finish);
            resolve();
          };
          const timer = this.p.clock.setTimeout(finish, delayMs);
          timer.unref?.();
          signal.addEventListener('abort', finish, { once: true });
          void conn.closed.then(finish);
        });
        if (signal.aborted || !conn.isOpen) return undefined;
      }
    }
  }

  eventCategoryNumber(name: EventCategoryName): number {
    return EVENT_CATEGORY_BY_NAME[name];
  }
}
