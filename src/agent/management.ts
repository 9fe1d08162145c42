/**
 * The gateway describes itself to the registrar (TS-0001 device management): a `<node>` under the
 * CSEBase with a deviceInfo and a memory `<mgmtObj>` (and a battery one where the board has one),
 * our `<AE>`'s `nl` pointing at it, and a `health` container of SenML records under the `<AE>`.
 * Created once (each `ri` kept with the identity, re-created when the registrar lost it), then kept
 * current every `updateMs`, with an UPDATE only when a value changed enough to matter.
 */
import type { Connection } from '../binding/ws/types.js';
import { Operation, ResourceType, Rsc, isSuccess, rscLabel } from '../protocol/codes.js';
import type { Content, RequestPrimitive, ResponsePrimitive } from '../protocol/primitive.js';
import type { Clock } from '../util/clock.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { readBattery, readBoardFacts, readMemory, type MemoryFacts } from './board-info.js';
import { healthRecords, type HealthSource } from './health.js';
import { createRequest, retrieveRequest } from './resources.js';

export const MGD = { memory: 1003, battery: 1006, deviceInfo: 1007, reboot: 1009 } as const;
/** Name of our subscription to the reboot object: the registrar tells us of each UPDATE over the link. */
export const REBOOT_SUBSCRIPTION_NAME = 'm2m-agent-reboot';
/** Remote configuration (README "Managing a fleet"): patches come in `config`, outcomes go to `config-status`. */
export const CONFIG_CONTAINER_NAME = 'config';
export const CONFIG_STATUS_CONTAINER_NAME = 'config-status';
export const CONFIG_SUBSCRIPTION_NAME = 'm2m-agent-config';
/** Name of the container of health records under our `<AE>`. */
export const HEALTH_CONTAINER_NAME = 'health';
/** A memory UPDATE is sent when `mma` moved by at least this share of `mmt`. */
const MEMORY_CHANGE_SHARE = 0.02;

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
  private lastMemory?: MemoryFacts;
  private lastBattery?: string;
  private lastHealth?: string;
  private deviceInfoSent = false;
  private refusedLogged = false;
  private lastConfigStatus?: string;
  private wake?: () => void;

  constructor(private readonly o: ManagementOptions) {}

  get nodePath(): string {
    return `${this.o.cseBase}/${this.o.name}-node`;
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
    const hadNode = Boolean(this.o.note('mgmt:node'));
    await this.round(conn);
    if (hadNode && !this.o.note('mgmt:node')) await this.round(conn);
  }

  private async round(conn: Connection): Promise<void> {
    await this.board(conn);
    // The health record lives under our <AE>: published even where the <node> is refused.
    await this.healthRecord(conn);
    if (this.o.configStatus) await this.remoteConfig(conn, this.o.configStatus());
  }

  /** Runs a round now (a configuration patch was refused: its status should not wait an hour). */
  kick(): void {
    this.wake?.();
  }

  /** The `config` container and our subscription to it, `config-status` and the latest outcome. */
  private async remoteConfig(conn: Connection, status: string | undefined): Promise<void> {
    const ae = this.o.aePath();
    const aeId = this.o.aeId() ?? '';
    const cnt = await this.ensure(conn, 'config', ae, ResourceType.Container, {
      'm2m:cnt': { rn: CONFIG_CONTAINER_NAME, mni: 10 },
    });
    if (cnt?.isNew && this.o.note('mgmt:configSub')) await this.o.setNote('mgmt:configSub', '');
    if (cnt)
      await this.ensure(conn, 'configSub', `${ae}/${CONFIG_CONTAINER_NAME}`, ResourceType.Subscription, {
        'm2m:sub': { rn: CONFIG_SUBSCRIPTION_NAME, nu: [aeId], enc: { net: [3] }, nct: 1, su: aeId },
      });
    const out = await this.ensure(conn, 'configStatus', ae, ResourceType.Container, {
      'm2m:cnt': { rn: CONFIG_STATUS_CONTAINER_NAME, mni: 10 },
    });
    if (out === undefined || status === undefined || status === this.lastConfigStatus) return;
    const rsp = await this.send(
      conn,
      createRequest(
        `${ae}/${CONFIG_STATUS_CONTAINER_NAME}`,
        ResourceType.ContentInstance,
        { 'm2m:cin': { cnf: 'application/json:0', con: status } },
        { ...this.bind(), rcn: 0 },
      ),
    );
    if (rsp.rsc === Rsc.NOT_FOUND) await this.o.setNote('mgmt:configStatus', '');
    else if (isSuccess(rsp.rsc)) this.lastConfigStatus = status;
  }

  /** The `<node>`, the `nl` pointing at it, and its management objects. */
  private async board(conn: Connection): Promise<void> {
    const node = await this.ensure(conn, 'node', this.o.cseBase, ResourceType.Node, {
      'm2m:nod': { rn: `${this.o.name}-node`, ni: this.o.name },
    });
    if (node === undefined) return;
    const nodeRi = node.ri;
    if (node.isNew) {
      // A new node has none of its management objects, whatever we remembered.
      for (const key of ['deviceInfo', 'memory', 'battery', 'reboot', 'rebootSub'])
        if (this.o.note(`mgmt:${key}`)) await this.o.setNote(`mgmt:${key}`, '');
      this.deviceInfoSent = false;
      this.lastMemory = undefined;
      this.lastBattery = undefined;
    }
    if (this.o.note('mgmt:nl') !== nodeRi) {
      const rsp = await this.update(conn, this.o.aePath(), {
        [this.o.role === 'asn' ? 'm2m:csr' : 'm2m:ae']: { nl: nodeRi },
      });
      if (isSuccess(rsp.rsc)) await this.o.setNote('mgmt:nl', nodeRi);
      else this.o.logger.warn('the registrar refused our nodeLink', { rsc: rscLabel(rsp.rsc) });
    }
    await this.deviceInfo(conn);
    await this.memory(conn);
    await this.battery(conn);
    if (this.o.reboot) await this.rebootObject(conn);
  }

  /**
   * The reboot object and our subscription to it. ACME keeps `rbo`/`far` false (it resets them
   * before storing and before notifying), so the notification of modified attributes (nct 2) is
   * how we learn an UPDATE named them; who may UPDATE is the registrar's access control.
   */
  private async rebootObject(conn: Connection): Promise<void> {
    const obj = await this.ensure(conn, 'reboot', this.nodePath, ResourceType.MgmtObj, {
      'm2m:rbo': { rn: 'reboot', mgd: MGD.reboot, rbo: false, far: false },
    });
    if (obj === undefined) return;
    if (obj.isNew && this.o.note('mgmt:rebootSub')) await this.o.setNote('mgmt:rebootSub', '');
    const aeId = this.o.aeId() ?? '';
    await this.ensure(conn, 'rebootSub', `${this.nodePath}/reboot`, ResourceType.Subscription, {
      'm2m:sub': { rn: REBOOT_SUBSCRIPTION_NAME, nu: [aeId], enc: { net: [1] }, nct: 2, su: aeId },
    });
  }

  private async deviceInfo(conn: Connection): Promise<void> {
    // Versions change only with a restart (an upgrade): one UPDATE per process life is enough.
    if (this.deviceInfoSent) return;
    const b = await readBoardFacts(this.o.root);
    const attrs = {
      dlb: this.o.name,
      man: b.manufacturer,
      mod: b.model,
      dty: 'gateway',
      swv: this.o.agentVersion,
      osv: b.os,
    };
    this.deviceInfoSent = await this.keep(
      conn,
      'deviceInfo',
      { 'm2m:dvi': { rn: 'deviceInfo', mgd: MGD.deviceInfo, dc: 'the board and its software', ...attrs } },
      { 'm2m:dvi': attrs },
      true,
    );
  }

  private async memory(conn: Connection): Promise<void> {
    const m = await readMemory(this.o.root);
    if (!m) return;
    const last = this.lastMemory;
    const changed =
      last === undefined ||
      last.total !== m.total ||
      Math.abs(last.available - m.available) >= m.total * MEMORY_CHANGE_SHARE;
    const values = { mma: m.available, mmt: m.total };
    const sent = await this.keep(
      conn,
      'memory',
      { 'm2m:mem': { rn: 'memory', mgd: MGD.memory, ...values } },
      { 'm2m:mem': values },
      changed,
    );
    if (sent) this.lastMemory = m;
  }

  private async battery(conn: Connection): Promise<void> {
    const b = await readBattery(this.o.root);
    if (!b) return;
    const key = `${b.level}/${b.status}`;
    const values = { btl: b.level, bts: b.status };
    const sent = await this.keep(
      conn,
      'battery',
      { 'm2m:bat': { rn: 'battery', mgd: MGD.battery, ...values } },
      { 'm2m:bat': values },
      key !== this.lastBattery,
    );
    if (sent) this.lastBattery = key;
  }

  /**
   * Makes sure the management object `key` exists under our node and, when `changed`, holds the
   * new values. True when the values were sent (created or updated). One the registrar lost is
   * created again at once.
   */
  private async keep(
    conn: Connection,
    key: string,
    createPc: Content,
    updatePc: Content,
    changed: boolean,
  ): Promise<boolean> {
    const known = await this.ensure(conn, key, this.nodePath, ResourceType.MgmtObj, createPc);
    if (known === undefined) return false;
    if (known.isNew || !changed) return known.isNew;
    const rsp = await this.update(conn, `${this.nodePath}/${key}`, updatePc);
    if (rsp.rsc !== Rsc.NOT_FOUND) return isSuccess(rsp.rsc);
    this.o.logger.info('our management object is gone from the registrar; creating it again', { key });
    await this.o.setNote(`mgmt:${key}`, '');
    return (await this.ensure(conn, key, this.nodePath, ResourceType.MgmtObj, createPc))?.isNew ?? false;
  }

  /** A SenML record of the agent's health, when it differs from the last one published. */
  private async healthRecord(conn: Connection): Promise<void> {
    const h = this.o.health();
    const pack = healthRecords(this.o.name, h);
    // Compared without the base time: the same health an hour later is not news.
    const key = JSON.stringify(pack.map((r) => ({ ...r, bt: undefined })));
    if (key === this.lastHealth) return;
    const created = await this.ensure(conn, 'health', this.o.aePath(), ResourceType.Container, {
      'm2m:cnt': { rn: HEALTH_CONTAINER_NAME, mni: 96 },
    });
    if (created === undefined) return;
    const path = `${this.o.aePath()}/${HEALTH_CONTAINER_NAME}`;
    const rsp = await this.send(
      conn,
      createRequest(
        path,
        ResourceType.ContentInstance,
        { 'm2m:cin': { cnf: 'application/senml+json:0', con: JSON.stringify(pack) } },
        // rcn 0: the registrar's copy of the record is not needed.
        { ...this.bind(), rcn: 0 },
      ),
    );
    if (rsp.rsc === Rsc.NOT_FOUND) await this.o.setNote('mgmt:health', '');
    else if (isSuccess(rsp.rsc)) this.lastHealth = key;
  }

  /**
   * The `ri` of the resource `key`: known, CREATEd now (`isNew`), or adopted after a 4105.
   * Undefined when the registrar refuses (logged; a 4103 on the `<node>` with a hint, once).
   */
  private async ensure(
    conn: Connection,
    key: string,
    parent: string,
    ty: number,
    pc: Content,
  ): Promise<{ ri: string; isNew: boolean } | undefined> {
    const known = this.o.note(`mgmt:${key}`);
    if (known) return { ri: known, isNew: false };
    const rsp = await this.send(conn, createRequest(parent, ty, pc, this.bind()));
    let ri: string | undefined;
    if (rsp.rsc === Rsc.CREATED) ri = riOf(rsp);
    else if (rsp.rsc === Rsc.CONFLICT) {
      const rn = (Object.values(pc)[0] as { rn: string }).rn;
      ri = riOf(await this.send(conn, retrieveRequest(`${parent}/${rn}`, this.bind())));
    } else {
      // The parent is gone: our <node> was deleted; it is created again at the next round.
      if (rsp.rsc === Rsc.NOT_FOUND && parent === this.nodePath) await this.o.setNote('mgmt:node', '');
      const refusedNode = key === 'node' && rsp.rsc === Rsc.ORIGINATOR_HAS_NO_PRIVILEGE;
      if (!refusedNode || !this.refusedLogged)
        this.o.logger.warn(
          refusedNode
            ? 'the registrar does not let us create our <node>; retried at the next update'
            : 'the registrar refused a device management resource',
          {
            code: refusedNode ? 'NODE_NOT_PERMITTED' : 'MGMT_REFUSED',
            resource: `${parent}/${key}`,
            rsc: rscLabel(rsp.rsc),
            ...(refusedNode
              ? {
                  hint: 'grant our originator CREATE of <node> (ty 14) on the CSEBase: README, "Managing a fleet"',
                }
              : {}),
          },
        );
      if (refusedNode) this.refusedLogged = true;
      return undefined;
    }
    if (ri === undefined) return undefined;
    await this.o.setNote(`mgmt:${key}`, ri);
    if (key === 'node') this.refusedLogged = false;
    return { ri, isNew: rsp.rsc === Rsc.CREATED };
  }

  private update(conn: Connection, to: string, pc: Content): Promise<ResponsePrimitive> {
    const req: RequestPrimitive = { op: Operation.Update, to, ...this.bind(), pc };
    return this.send(conn, req);
  }

  private bind(): { fr: string; rqi: string; rvi: string } {
    return { fr: this.o.aeId() ?? '', rqi: this.o.rqi(), rvi: this.o.releaseVersion };
  }

  private send(conn: Connection, req: RequestPrimitive): Promise<ResponsePrimitive> {
    return conn.request(req, { timeoutMs: this.o.requestTimeoutMs });
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

function riOf(rsp: ResponsePrimitive): string | undefined {
  if (!isSuccess(rsp.rsc)) return undefined;
  const body = Object.values(rsp.pc ?? {})[0] as { ri?: unknown } | undefined;
  return typeof body?.ri === 'string' ? body.ri : undefined;
}
