/**
 * Registration of the agent's ASN-CSE with its registrar (TS-0001 10.2.2.3, onem2m-reference
 * section 9): CREATE `<remoteCSE>` once (`fr` = our CSE-ID, `cst` 3), the identity kept in the
 * state directory so neither a reconnect nor a restart registers again. Then the registrar is
 * recorded as a local `<remoteCSE>` (from a RETRIEVE of its `<CSEBase>`), and the containers that
 * pushed readings go to are created under our `<remoteCSE>` on the registrar, so they sit at the
 * same path as in the ADN role (`<cse-in>/<node.name>/<device>`).
 *
 * Each new connection starts with a RETRIEVE of our `<remoteCSE>` (which also tells the registrar
 * who is on this connection, TS-0020 clause 7), repeated every `checkIntervalMs` while connected,
 * as ACME does as an ASN. If the registrar no longer knows it (4004; 4103/4106 when it refuses us
 * as unregistered), the agent registers again: a CREATE that meets "already registered" (4117, ACME
 * 4105) retrieves and adopts the existing `<remoteCSE>` instead of failing.
 */
import { dbgOf } from '../resource-setup.js';
import type { Connection } from '../../binding/ws/types.js';
import type { RegistrarRecord } from '../../cse/index.js';
import type { ContainerAttributes } from '../../config/types.js';
import { CseType, ResourceType, Rsc, isSuccess, rscLabel } from '../../protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../protocol/primitive.js';
import { toOneM2MTime } from '../../protocol/timestamp.js';
import { isPlainObject } from '../../protocol/validate.js';
import type { Clock } from '../../util/clock.js';
import { describeError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { RegistrationError, ResourceSetupError } from '../errors.js';
import type { Identity, IdentityStore } from '../identity.js';
import type { EnsureResult } from '../registration.js';
import { containerContent, createRequest, retrieveRequest } from '../resources.js';

export interface AsnRegistrationOptions {
  readonly registrarCseId: string;
  /** The registrar's CSEBase as we address it (`cse-in`). */
  readonly cseBase: string;
  /** Our CSE-ID (`/id-barn-gw-1`) and CSEBase name (`node.name`, also our `<remoteCSE>`'s name there). */
  readonly cseId: string;
  readonly cseName: string;
  readonly releaseVersion: string;
  /** `poa` of the `<remoteCSE>` (compat preset). */
  readonly poa: readonly string[];
  /** Devices whose readings are pushed: each gets a container on the registrar. */
  readonly pushDevices: readonly { readonly name: string; readonly container: ContainerAttributes }[];
  readonly store: IdentityStore;
  readonly rqi: () => string;
  readonly requestTimeoutMs: number;
  /** Re-check the registration this often while connected; 0: only when a connection opens. */
  readonly checkIntervalMs: number;
  /** Records the registrar in the local CSE. */
  readonly onRegistrar: (rec: RegistrarRecord) => void;
  readonly clock: Clock;
  readonly logger: Logger;
}

/** Status codes that mean the registrar does not (or no longer) know our `<remoteCSE>`. */
const LOST = new Set<number>([
  Rsc.NOT_FOUND,
  Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
  Rsc.ORIGINATOR_NOT_AUTHENTICATED,
]);

export class AsnRegistration {
  private identity?: Identity;
  private loaded = false;
  private registrarRecorded = false;
  private csz: readonly string[] = [];
  /** Checks and re-registrations run one at a time (the periodic check may meet an uplink recovery). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: AsnRegistrationOptions) {}

  /** Our originator, the CSE-ID: known from the configuration, so also before registering (X-M2M-Origin). */
  get aeId(): string {
    return this.o.cseId;
  }

  /** Our `<remoteCSE>` on the registrar as used in `to`; pushed containers live under it. */
  get aePath(): string {
    return `${this.o.cseBase}/${this.o.cseName}`;
  }

  current(): Identity | undefined {
    return this.identity;
  }

  /** Loads the stored identity; one for another registrar, name or CSE-ID (the ADN role's) is ignored. */
  async load(): Promise<Identity | undefined> {
    if (this.loaded) return this.identity;
    const id = await this.o.store.load();
    this.loaded = true;
    if (
      id &&
      (id.registrarCseId !== this.o.registrarCseId || id.name !== this.o.cseName || id.aeId !== this.o.cseId)
    ) {
      this.o.logger.warn('stored identity is for another registrar, name or role; registering anew', {
        stored: `${id.registrarCseId}/${id.name} as ${id.aeId}`,
        configured: `${this.o.registrarCseId}/${this.o.cseName} as ${this.o.cseId}`,
      });
      return undefined;
    }
    this.identity = id;
    return id;
  }

  /**
   * Once per connection: registers (first start) or checks the registration, then our resources.
   * The third parameter of the ADN `Registration.ensure` is not needed: our CSE-ID is known before
   * registering, so no connection ever has to be replaced afterwards.
   */
  async ensure(conn: Connection, contentSerializations: readonly string[]): Promise<EnsureResult> {
    this.csz = contentSerializations;
    const result = await this.serial(async () => {
      await this.load();
      let registered = false;
      if (!this.identity) {
        await this.register(conn);
        registered = true;
      } else {
        registered = (await this.check(conn)) === 'reregistered';
      }
      if (!this.registrarRecorded) await this.recordRegistrar(conn);
      await this.createResources(conn, false);
      return registered ? 'registered' : 'already-registered';
    });
    this.watch(conn);
    return result;
  }

  /** The uplink met 4004/4103/4106: re-register if our `<remoteCSE>` is gone, then recreate containers. */
  async recover(
    conn: Connection,
    contentSerializations: readonly string[],
  ): Promise<'reregistered' | 'resources' | 'unchanged'> {
    this.csz = contentSerializations;
    return this.serial(async () => {
      if (!this.identity) return 'unchanged';
      const r = await this.check(conn);
      if (r === 'unknown') return 'unchanged';
      if (r === 'ok') await this.createResources(conn, true);
      return r === 'ok' ? 'resources' : 'reregistered';
    });
  }

  /** Forgets the identity locally (after a DELETE of the `<remoteCSE>`). */
  async forget(): Promise<void> {
    this.identity = undefined;
    await this.o.store.clear();
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /** RETRIEVE of our `<remoteCSE>`; registers again (and recreates everything) when it is lost. */
  private async check(conn: Connection): Promise<'ok' | 'reregistered' | 'unknown'> {
    const rsp = await this.send(conn, retrieveRequest(this.aePath, this.bind()));
    if (isSuccess(rsp.rsc)) return 'ok';
    if (!LOST.has(rsp.rsc)) {
      this.o.logger.warn('cannot confirm our registration', { rsc: rscLabel(rsp.rsc) });
      return 'unknown';
    }
    this.o.logger.warn('the registrar no longer knows our <remoteCSE>; registering again', {
      rsc: rscLabel(rsp.rsc),
      cseId: this.o.cseId,
    });
    this.identity = undefined;
    await this.register(conn);
    await this.recordRegistrar(conn);
    await this.createResources(conn, true);
    return 'reregistered';
  }

  /** Repeats the check while `conn` is open. */
  private watch(conn: Connection): void {
    if (this.o.checkIntervalMs <= 0) return;
    let stopped = false;
    let timer: ReturnType<Clock['setTimeout']> | undefined;
    const arm = (): void => {
      timer = this.o.clock.setTimeout(() => {
        if (stopped || !conn.isOpen) return;
        void this.serial(() => this.check(conn))
          .catch((err: unknown) => {
            this.o.logger.warn('registration check failed', { error: describeError(err) });
          })
          .finally(() => {
            if (!stopped) arm();
          });
      }, this.o.checkIntervalMs);
      timer.unref?.();
    };
    void conn.closed.then(() => {
      stopped = true;
      if (timer !== undefined) this.o.clock.clearTimeout(timer);
    });
    arm();
  }

  private async register(conn: Connection): Promise<void> {
    const csr: Record<string, unknown> = {
      rn: this.o.cseName,
      cb: `${this.o.cseId}/${this.o.cseName}`,
      csi: this.o.cseId,
      cst: CseType.ASN,
      rr: true,
      srv: [this.o.releaseVersion],
    };
    if (this.csz.length > 0) csr.csz = [...this.csz];
    if (this.o.poa.length > 0) csr.poa = [...this.o.poa];
    const rsp = await this.send(
      conn,
      createRequest(this.o.cseBase, ResourceType.RemoteCSE, { 'm2m:csr': csr }, this.bind()),
    );
    let ri: string | undefined;
    if (rsp.rsc === Rsc.CREATED) {
      ri = stringAttr(rsp, 'm2m:csr', 'ri');
      this.o.logger.info('registered as a remote CSE', { cseId: this.o.cseId, at: this.aePath });
    } else if (rsp.rsc === Rsc.ORIGINATOR_HAS_ALREADY_REGISTERED || rsp.rsc === Rsc.CONFLICT) {
      // Registered before (a lost response, a lost state dir): adopt our <remoteCSE> if it is ours.
      const check = await this.send(conn, retrieveRequest(this.aePath, this.bind()));
      const csi = stringAttr(check, 'm2m:csr', 'csi');
      if (
        !isSuccess(check.rsc) ||
        !isPlainObject(check.pc?.['m2m:csr']) ||
        (csi !== undefined && csi !== this.o.cseId)
      )
        throw new RegistrationError(
          rsp.rsc,
          dbgOf(rsp),
          `${this.aePath} exists on the registrar and is not our <remoteCSE>: deregister it or choose another node.name`,
        );
      ri = stringAttr(check, 'm2m:csr', 'ri');
      this.o.logger.info('already registered as a remote CSE; adopting it', { cseId: this.o.cseId });
    } else {
      throw new RegistrationError(
        rsp.rsc,
        dbgOf(rsp),
        'check node.cseId and node.name against the registrar',
      );
    }
    this.identity = {
      registrarCseId: this.o.registrarCseId,
      name: this.o.cseName,
      aeId: this.o.cseId,
      ...(ri === undefined ? {} : { ri }),
      registeredAt: toOneM2MTime(this.o.clock.nowMs(), false),
      resources: {},
    };
    await this.o.store.save(this.identity);
  }

  /** The local `<remoteCSE>` for the registrar, filled from its `<CSEBase>` (or from the config). */
  private async recordRegistrar(conn: Connection): Promise<void> {
    const rsp = await this.send(conn, retrieveRequest(this.o.cseBase, this.bind()));
    const cb = isSuccess(rsp.rsc) && isPlainObject(rsp.pc?.['m2m:cb']) ? rsp.pc['m2m:cb'] : {};
    if (!isSuccess(rsp.rsc))
      this.o.logger.warn('cannot retrieve the registrar CSEBase; recording it from the configuration', {
        rsc: rscLabel(rsp.rsc),
      });
    const list = (v: unknown): string[] | undefined =>
      Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
    const poa = list(cb.poa);
    const srv = list(cb.srv);
    const csz = list(cb.csz);
    this.o.onRegistrar({
      csi: typeof cb.csi === 'string' ? cb.csi : this.o.registrarCseId,
      cb: `${this.o.registrarCseId}/${typeof cb.rn === 'string' ? cb.rn : this.o.cseBase}`,
      ...(typeof cb.cst === 'number' ? { cst: cb.cst } : {}),
      ...(poa ? { poa } : {}),
      ...(srv ? { srv } : {}),
      ...(csz ? { csz } : {}),
    });
    this.registrarRecorded = true;
  }

  /** The containers pushed readings go to, under our `<remoteCSE>`. */
  private async createResources(conn: Connection, force: boolean): Promise<void> {
    for (const d of this.o.pushDevices) {
      const id = this.identity;
      if (!id) return;
      if (!force && id.resources[d.name] !== undefined) continue;
      const rsp = await this.send(
        conn,
        createRequest(
          this.aePath,
          ResourceType.Container,
          containerContent(d.name, d.container),
          this.bind(),
        ),
      );
      let ri: string;
      if (rsp.rsc === Rsc.CREATED) ri = stringAttr(rsp, 'm2m:cnt', 'ri') ?? d.name;
      else if (rsp.rsc === Rsc.CONFLICT) ri = id.resources[d.name] ?? d.name;
      else throw new ResourceSetupError(`${this.aePath}/${d.name}`, rsp.rsc, dbgOf(rsp));
      this.identity = { ...id, resources: { ...id.resources, [d.name]: ri } };
      await this.o.store.save(this.identity);
    }
  }

  private bind(): { fr: string; rqi: string; rvi: string } {
    return { fr: this.o.cseId, rqi: this.o.rqi(), rvi: this.o.releaseVersion };
  }

  private send(conn: Connection, req: RequestPrimitive): Promise<ResponsePrimitive> {
    return conn.request(req, { timeoutMs: this.o.requestTimeoutMs });
  }
}

function stringAttr(rsp: ResponsePrimitive, root: string, name: string): string | undefined {
  const body = rsp.pc?.[root];
  const v = isPlainObject(body) ? body[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}
