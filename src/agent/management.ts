/**
 * The gateway describes itself to the registrar (TS-0001 device management): a `<node>` under the
 * CSEBase with a deviceInfo and a memory `<mgmtObj>` (and a battery one where the board has one),
 * our `<AE>`'s `nl` pointing at it, and a `health` container of SenML records under the `<AE>`.
 * Created once (each `ri` kept with the identity, re-created when the registrar lost it), then kept
 * current every `updateMs`, with an UPDATE only when a value changed enough to matter. The pieces:
 * `management-board.ts` (node and its objects), `management-health.ts`, `management-orders.ts`
 * (reboot and remote configuration), `management-requests.ts` (how each resource is kept).
 */
import type { Connection } from '../binding/ws/types.js';
import type { Clock } from '../util/clock.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { BoardObjects } from './management-board.js';
import { HealthPublisher } from './management-health.js';
import { RegistrarOrders } from './management-orders.js';
import { MgmtRequests } from './management-requests.js';
import type { HealthSource } from './health.js';

export { MGD } from './management-board.js';
export { HEALTH_CONTAINER_NAME } from './management-health.js';
export {
  CONFIG_CONTAINER_NAME,
  CONFIG_STATUS_CONTAINER_NAME,
  CONFIG_SUBSCRIPTION_NAME,
  REBOOT_SUBSCRIPTION_NAME,
} from './management-orders.js';

export interface ManagementOptions {
  readonly role: 'adn' | 'asn';
  /** The CSEBase as used in `to` (`cse-in`): the `<node>` is created under it. */
  readonly cseBase: string;
  readonly name: string;
  readonly agentVersion: string;
  readonly releaseVersion: string;
  readonly updateMs: number;
  readonly aePath: () => string;
  readonly aeId: () => string | undefined;
  /** Values kept with the identity (the resources' `ri`). */
  readonly note: (key: string) => string | undefined;
  readonly setNote: (key: string, value: string) => Promise<void>;
  readonly health: () => HealthSource;
  readonly rqi: () => string;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** Root of the files the board facts are read from (tests give a fake tree). */
  readonly root?: string;
  /**
   * Create the reboot object and subscribe to it (the registrar notifies us over the link); false
   * where notifications cannot reach us (the `mobius` preset).
   */
  readonly reboot?: boolean;
  /**
   * Create the `config` container, our subscription to it and `config-status`, and publish there
   * the outcome of the last patch (JSON text; undefined: none yet).
   */
  readonly configStatus?: () => string | undefined;
  /** Called after each round (tests wait for it rather than for time). */
  readonly onRound?: () => void;
}

/** Keeps the `<node>`, its management objects and the health container on the registrar. */
export class Management {
  private readonly req: MgmtRequests;
  private readonly board: BoardObjects;
  private readonly healthRecords: HealthPublisher;
  private readonly orders: RegistrarOrders;
  private wake?: () => void;

  constructor(private readonly o: ManagementOptions) {
    this.req = new MgmtRequests(o);
    this.board = new BoardObjects(o, this.req);
    this.healthRecords = new HealthPublisher(o, this.req);
    this.orders = new RegistrarOrders(o, this.req);
  }

  get nodePath(): string {
    return this.req.nodePath;
  }

  /** Brings everything up to date now, then every `updateMs` until the session ends. */
  async run(conn: Connection, signal: AbortSignal): Promise<void> {
    while (!signal.aborted && conn.isOpen) {
      try {
        await this.refresh(conn);
      } catch (err) {
        this.o.logger.warn('device management update failed; retried at the next update', {
          error: describeError(err),
        });
      }
      this.o.onRound?.();
      await this.pause(conn, signal);
    }
  }

  /** Creates what is missing, updates what changed; a `<node>` found lost is created again at once. */
  async refresh(conn: Connection): Promise<void> {
    if (this.o.aeId() === undefined) return;
    const hadNode = Boolean(this.req.note('node'));
    await this.round(conn);
    if (hadNode && !this.req.note('node')) await this.round(conn);
  }

  private async round(conn: Connection): Promise<void> {
    const node = await this.board.sync(conn);
    if (node && this.o.reboot) await this.orders.reboot(conn);
    // The health record lives under our <AE>: published even where the <node> is refused.
    await this.healthRecords.publish(conn);
    if (this.o.configStatus) await this.orders.remoteConfig(conn, this.o.configStatus());
  }

  /** Runs a round now (a configuration patch was refused: its status should not wait an hour). */
  kick(): void {
    this.wake?.();
  }

  private pause(conn: Connection, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const finish = (): void => {
        this.wake = undefined;
        this.o.clock.clearTimeout(timer);
        signal.removeEventListener('abort', finish);
        resolve();
      };
      const timer = this.o.clock.setTimeout(finish, this.o.updateMs);
      timer.unref?.();
      signal.addEventListener('abort', finish, { once: true });
      void conn.closed.then(finish);
      this.wake = finish;
    });
  }
}
