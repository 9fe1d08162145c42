/**
 * Registration of the agent's ASN-CSE with its registrar (TS-0001 10.2.2.3, onem2m-reference
 * section 9): CREATE `<remoteCSE>` once (`fr` = our CSE-ID, `cst` 3), the identity kept in the
 * state directory so neither a reconnect nor a restart registers again. The registrar decides the
 * name: ACME calls it after the CSE-ID without its slash, whatever `rn` we asked, so the `rn` of
 * the response is kept and every path below it (the containers pushed readings go to) starts
 * there. Then the registrar is recorded as a local `<remoteCSE>` (from a RETRIEVE of its
 * `<CSEBase>`).
 *
 * Each new connection starts with a RETRIEVE of our `<remoteCSE>` (which also tells the registrar
 * who is on this connection, TS-0020 clause 7), repeated every `checkIntervalMs` while connected,
 * as ACME does as an ASN. Only a 4004 there registers again; 4103/4106 probe with a CREATE. A CREATE
 * that meets "already registered" (4117, ACME 4105) finds our existing `<remoteCSE>` again and
 * adopts it instead of failing.
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
import { pathBelow, withResource, type IdentityStore } from '../identity.js';
import { KeptIdentity, type IdentityOwner } from '../identity-notes.js';
import type { EnsureResult } from '../registration.js';
import { whenRegistrarReady } from '../registrar-ready.js';
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

/** Status codes that may mean the registrar no longer knows us: a CREATE probe decides. */
const MAYBE_UNKNOWN = new Set<number>([Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, Rsc.ORIGINATOR_NOT_AUTHENTICATED]);

export class AsnRegistration extends KeptIdentity {
  private registrarRecorded = false;
  private csz: readonly string[] = [];
  /** Checks and re-registrations run one at a time (the periodic check may meet an uplink recovery). */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: AsnRegistrationOptions) {
    super(o.store, o.logger);
  }

  /** Our originator, the CSE-ID: known from the configuration, so also before registering (X-M2M-Origin). */
  get aeId(): string {
    return this.o.cseId;
  }

  /**
   * Our `<remoteCSE>` on the registrar as used in `to`, under the name the registrar gave it (ACME:
   * the CSE-ID without its slash, whatever we asked); pushed containers live under it.
   */
  get aePath(): string {
    return `${this.o.cseBase}/${this.identity?.rn ?? this.o.cseName}`;
  }

  /** The path of a resource of ours below the `<remoteCSE>` (a device's container) as used in `to`. */
  pathOf(key: string): string {
    return `${this.aePath}/${pathBelow(this.identity, key)}`;
  }

  protected owner(): IdentityOwner {
    return { registrarCseId: this.o.registrarCseId, name: this.o.cseName, aeId: this.o.cseId };
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

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.chain.then(fn, fn);
    this.chain = next.catch(() => undefined);
    return next;
  }

  /**
   * RETRIEVE of our `<remoteCSE>` (the very resource the registrar created). Only a 4004 there
   * declares the registration lost and registers again (recreating everything); 4103/4106 may mean
   * the registrar refuses an originator it no longer knows, so a CREATE probes: it succeeds only if
   * the `<remoteCSE>` is really gone, and "already registered" changes nothing.
   */
  private async check(conn: Connection): Promise<'ok' | 'reregistered' | 'unknown'> {
    const rsp = await this.send(conn, retrieveRequest(this.aePath, this.bind()));
    if (isSuccess(rsp.rsc)) return 'ok';
    if (rsp.rsc === Rsc.NOT_FOUND) {
      this.o.logger.warn('the registrar no longer knows our <remoteCSE>; registering again', {
        rsc: rscLabel(rsp.rsc),
        at: this.aePath,
        cseId: this.o.cseId,
      });
      await whenRegistrarReady(conn, () => this.register(conn, true), this.o);
    } else if (MAYBE_UNKNOWN.has(rsp.rsc)) {
      if ((await this.register(conn, false)) === 'exists') {
        this.o.logger.warn('our <remoteCSE> exists but the registrar refuses to show it to us', {
          rsc: rscLabel(rsp.rsc),
          detail: dbgOf(rsp),
        });
        return 'unknown';
      }
      this.o.logger.warn('our <remoteCSE> was gone from the registrar; registered again', {
        cseId: this.o.cseId,
      });
    } else {
      this.o.logger.warn('cannot confirm our registration', {
        rsc: rscLabel(rsp.rsc),
        detail: dbgOf(rsp),
      });
      return 'unknown';
    }
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

  /**
   * CREATE `<remoteCSE>`. Its name and `ri` are the registrar's answer (`pc`), kept with the
   * identity. "Already registered" (4117, ACME 4105): with `adopt` our existing `<remoteCSE>` is
   * found again (`rediscover`) and adopted; without it `'exists'` is returned and nothing changes.
   */
  private async register(conn: Connection, adopt = true): Promise<'registered' | 'exists'> {
    const rsp = await this.send(
      conn,
      createRequest(
        this.o.cseBase,
        ResourceType.RemoteCSE,
        { 'm2m:csr': this.remoteCseContent() },
        this.bind(),
      ),
    );
    let found: { rn?: string; ri?: string };
    if (rsp.rsc === Rsc.CREATED) found = this.created(rsp);
    else if (rsp.rsc === Rsc.ORIGINATOR_HAS_ALREADY_REGISTERED || rsp.rsc === Rsc.CONFLICT) {
      if (!adopt) return 'exists';
      found = await this.adopt(conn, rsp);
    } else {
      throw RegistrationError.refused(rsp, 'csr', this.o.cseId);
    }
    this.identity = {
      registrarCseId: this.o.registrarCseId,
      name: this.o.cseName,
      aeId: this.o.cseId,
      ...optional('ri', found.ri),
      ...(found.rn === undefined || found.rn === this.o.cseName ? {} : { rn: found.rn }),
      registeredAt: toOneM2MTime(this.o.clock.nowMs(), false),
      resources: {},
    };
    await this.o.store.save(this.identity);
    return 'registered';
  }

  /** The `<remoteCSE>` we ask the registrar to create. */
  private remoteCseContent(): Record<string, unknown> {
    const csr: Record<string, unknown> = {
      rn: this.o.cseName,
      cb: `${this.o.cseId}/${this.o.cseName}`,
      csi: this.o.cseId,
      cst: CseType.ASN,
      rr: true,
      srv: [this.o.releaseVersion],
    };
    if (this.csz.length > 0) csr.csz = [...this.csz];
    // Never an empty list: ACME refuses `poa: []` (4000 "Optional list attribute must be non-empty").
    if (this.o.poa.length > 0) csr.poa = [...this.o.poa];
    return csr;
  }

  /** Name and `ri` of the `<remoteCSE>` just created, as the registrar answered them. */
  private created(rsp: ResponsePrimitive): { rn?: string; ri?: string } {
    const found = {
      ...optional('rn', stringAttr(rsp, 'm2m:csr', 'rn')),
      ...optional('ri', stringAttr(rsp, 'm2m:csr', 'ri')),
    };
    this.o.logger.info('registered as a remote CSE', {
      cseId: this.o.cseId,
      at: `${this.o.cseBase}/${found.rn ?? this.o.cseName}`,
    });
    if (found.rn !== undefined && found.rn !== this.o.cseName)
      this.o.logger.info('the registrar named our <remoteCSE> itself; using its name', {
        asked: this.o.cseName,
        rn: found.rn,
      });
    return found;
  }

  /** Registered before (a lost response, a lost state dir): find our `<remoteCSE>` and adopt it. */
  private async adopt(conn: Connection, rsp: ResponsePrimitive): Promise<{ rn?: string; ri?: string }> {
    const found = await this.rediscover(conn);
    if (!found)
      throw new RegistrationError(
        rsp.rsc,
        dbgOf(rsp),
        `the registrar says ${this.o.cseId} is registered, but no <remoteCSE> of ours was found under ${this.o.cseBase}: deregister it there`,
      );
    this.o.logger.info('already registered as a remote CSE; adopting it', {
      cseId: this.o.cseId,
      at: `${this.o.cseBase}/${found.rn ?? this.o.cseName}`,
    });
    return found;
  }

  /**
   * Finds our existing `<remoteCSE>` after a 4105/4117: by the name we knew, the name we ask for,
   * the CSE-ID without its slash (ACME's naming), then by its `ri` alone. Ours if its `csi` is our CSE-ID.
   */
  private async rediscover(conn: Connection): Promise<{ rn?: string; ri?: string } | undefined> {
    const names = [this.identity?.rn, this.o.cseName, this.o.cseId.replace(/^\//, '')];
    const tried = new Set<string>();
    const targets = names
      .filter((n): n is string => n !== undefined && n !== '')
      .map((n) => `${this.o.cseBase}/${n}`);
    if (this.identity?.ri !== undefined) targets.push(this.identity.ri);
    for (const to of targets) {
      if (tried.has(to)) continue;
      tried.add(to);
      const rsp = await this.send(conn, retrieveRequest(to, this.bind()));
      if (!isSuccess(rsp.rsc) || !isPlainObject(rsp.pc?.['m2m:csr'])) continue;
      const csi = stringAttr(rsp, 'm2m:csr', 'csi');
      if (csi !== undefined && csi !== this.o.cseId) continue;
      const rn =
        stringAttr(rsp, 'm2m:csr', 'rn') ??
        (to.startsWith(`${this.o.cseBase}/`) ? to.slice(this.o.cseBase.length + 1) : undefined);
      return { ...optional('rn', rn), ...optional('ri', stringAttr(rsp, 'm2m:csr', 'ri')) };
    }
    return undefined;
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
      let rn: string | undefined;
      if (rsp.rsc === Rsc.CREATED) {
        ri = stringAttr(rsp, 'm2m:cnt', 'ri') ?? d.name;
        rn = stringAttr(rsp, 'm2m:cnt', 'rn');
      } else if (rsp.rsc === Rsc.CONFLICT) {
        ri = id.resources[d.name] ?? d.name;
        rn = id.names?.[d.name];
      } else throw new ResourceSetupError(`${this.aePath}/${d.name}`, rsp.rsc, dbgOf(rsp));
      this.identity = withResource(id, d.name, ri, rn === d.name ? undefined : rn);
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

function optional<K extends string>(key: K, v: string | undefined): { [P in K]?: string } {
  return (v === undefined ? {} : { [key]: v }) as { [P in K]?: string };
}

function stringAttr(rsp: ResponsePrimitive, root: string, name: string): string | undefined {
  const body = rsp.pc?.[root];
  const v = isPlainObject(body) ? body[name] : undefined;
  return typeof v === 'string' ? v : undefined;
}
