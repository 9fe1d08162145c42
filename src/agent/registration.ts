/**
 * Registration and the resources the agent owns on the registrar (TS-0001 10.2.2.2, TS-0020,
 * onem2m-reference section 9): CREATE `<AE>` once, then one container per device, a command
 * container and subscription per actuator. Never registers again on reconnect; re-registers only
 * when a RETRIEVE of our own `<AE>` answers 4004. The registrar decides the names: the `<AE>`'s
 * `rn` from its answer is kept with the identity. The resources themselves: `resource-setup.ts`.
 */
import type { Connection } from '../binding/ws/types.js';
import { Rsc, ResourceType, rscLabel, isSuccess } from '../protocol/codes.js';
import type { ResponsePrimitive } from '../protocol/primitive.js';
import { toOneM2MTime } from '../protocol/timestamp.js';
import { systemClock, type Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { whenRegistrarReady } from './registrar-ready.js';
import type { IdentityStore } from './identity.js';
import { KeptIdentity, type IdentityOwner } from './identity-notes.js';
import { RegistrationError } from './errors.js';
import { aeContent, createRequest, retrieveRequest } from './resources.js';
import { dbgOf, ResourceSetup, type RegistrationDevice } from './resource-setup.js';

export type { RegistrationDevice } from './resource-setup.js';

export interface RegistrationOptions {
  readonly registrarCseId: string;
  /** Address of the registrar's CSEBase as we send it in `to` (CSE-relative: `cse-in`). */
  readonly cseBase: string;
  readonly name: string;
  readonly appId: string;
  readonly originator?: string;
  readonly releaseVersion: string;
  readonly poa: readonly string[];
  /** Subscribe to command containers (false: the registrar cannot notify over the link; poll instead). */
  readonly subscribe: boolean;
  readonly devices: readonly RegistrationDevice[];
  readonly store: IdentityStore;
  readonly rqi: () => string;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
  /** Pauses before re-registering with a registrar that is not ready yet (default: the system clock). */
  readonly clock?: Clock;
}

/** What `ensure` did on this connection. */
export type EnsureResult = 'registered' | 'already-registered';

export class Registration extends KeptIdentity {
  private readonly resources: ResourceSetup;

  constructor(private readonly o: RegistrationOptions) {
    super(o.store, o.logger);
    this.resources = new ResourceSetup({
      aePath: () => this.aePath,
      devices: o.devices,
      subscribe: o.subscribe,
      releaseVersion: o.releaseVersion,
      rqi: o.rqi,
      logger: o.logger,
      send: (conn, req) => this.send(conn, req),
      identity: () => this.identity,
      save: async (identity) => {
        this.identity = identity;
        await this.o.store.save(identity);
      },
    });
  }

  /** Our AE-ID, once registered. */
  get aeId(): string | undefined {
    return this.identity?.aeId;
  }

  /** The path of our `<AE>` as used in `to`: under the name the registrar gave it (node.name before). */
  get aePath(): string {
    return `${this.o.cseBase}/${this.identity?.rn ?? this.o.name}`;
  }

  /** The path of a resource of ours (`counter`, `fan/command`) as used in `to`. */
  pathOf(key: string): string {
    return this.resources.pathOf(key);
  }

  protected owner(): IdentityOwner {
    return { registrarCseId: this.o.registrarCseId, name: this.o.name };
  }

  /**
   * Registers if we have no identity yet, then makes sure every resource we own exists.
   * `stopAfterRegistering` is asked right after a registration: true leaves the resources for the
   * next connection (ACME serves nothing but the `<AE>` CREATE on a connection that did not
   * identify itself with the assigned AE-ID).
   */
  async ensure(
    conn: Connection,
    contentSerializations: readonly string[],
    stopAfterRegistering?: () => boolean,
  ): Promise<EnsureResult> {
    await this.load();
    if (this.identity && this.resources.allKnown()) return 'already-registered';
    if (!this.identity) {
      await this.register(conn, contentSerializations, this.o.originator, true);
      if (stopAfterRegistering?.() === true) return 'registered';
    }
    await this.resources.create(conn);
    return 'registered';
  }

  /**
   * Called when a request was refused in a way that may mean our `<AE>` is gone (4004 on our own
   * resources, 4103/4106 for our AE-ID). A RETRIEVE of the `<AE>` decides: 4004 re-registers with
   * the stored stem. 4103/4106 there may mean the same (a registrar that refuses an unregistered
   * originator before looking at the target, as TS-0020 lets it), so the stem is offered once in
   * an `<AE>` CREATE: it succeeds only if the `<AE>` is really gone, and 4117/4105 (still there)
   * changes nothing. Success recreates missing resources; anything else is logged and left.
   */
  async recover(
    conn: Connection,
    contentSerializations: readonly string[],
  ): Promise<'reregistered' | 'resources' | 'unchanged'> {
    const id = this.identity;
    if (!id) return 'unchanged';
    const rsp = await this.send(
      conn,
      retrieveRequest(this.aePath, { fr: id.aeId, rqi: this.o.rqi(), rvi: this.o.releaseVersion }),
    );
    if (rsp.rsc === Rsc.NOT_FOUND) {
      this.o.logger.warn('our <AE> is gone from the registrar; registering again', { aeId: id.aeId });
      // The old identity stays until the new one is stored: a failed attempt is simply retried.
      await whenRegistrarReady(conn, () => this.register(conn, contentSerializations, id.aeId, true), {
        clock: this.o.clock ?? systemClock,
        logger: this.o.logger,
      });
      await this.resources.create(conn, true);
      return 'reregistered';
    }
    if (rsp.rsc === Rsc.ORIGINATOR_HAS_NO_PRIVILEGE || rsp.rsc === Rsc.ORIGINATOR_NOT_AUTHENTICATED) {
      const probe = await this.register(conn, contentSerializations, id.aeId, false);
      if (probe === 'exists') {
        this.o.logger.warn('our <AE> exists but the registrar refuses our AE-ID', {
          aeId: id.aeId,
          rsc: rscLabel(rsp.rsc),
          detail: dbgOf(rsp),
        });
        return 'unchanged';
      }
      this.o.logger.warn('our <AE> was gone from the registrar; registered again', { aeId: id.aeId });
      await this.resources.create(conn, true);
      return 'reregistered';
    }
    if (!isSuccess(rsp.rsc)) {
      this.o.logger.warn('cannot confirm our registration', { rsc: rscLabel(rsp.rsc) });
      return 'unchanged';
    }
    await this.resources.create(conn, true);
    return 'resources';
  }

  /** Forgets one resource we created (the registrar deleted it), so the next `ensure` recreates it. */
  async forgetResource(key: string): Promise<void> {
    const id = this.identity;
    if (id?.resources[key] === undefined) return;
    const resources = Object.fromEntries(Object.entries(id.resources).filter(([k]) => k !== key));
    this.identity = { ...id, resources };
    await this.o.store.save(this.identity);
  }

  private async send(
    conn: Connection,
    req: Parameters<Connection['request']>[0],
  ): Promise<ResponsePrimitive> {
    return conn.request(req, { timeoutMs: this.o.requestTimeoutMs });
  }

  /**
   * CREATE `<AE>` with `stem` as `fr`. 4117/4105 for a stem of ours: with `adopt` the existing
   * `<AE>` is confirmed by RETRIEVE and adopted, without it `'exists'` is returned unchanged.
   */
  private async register(
    conn: Connection,
    csz: readonly string[],
    stem: string | undefined,
    adopt: boolean,
  ): Promise<'registered' | 'exists'> {
    const fr = stem === undefined || stem === '' ? undefined : stem;
    const pc = aeContent({
      name: this.o.name,
      appId: this.o.appId,
      releaseVersion: this.o.releaseVersion,
      csz,
      poa: this.o.poa,
    });
    const rsp = await this.send(
      conn,
      createRequest(this.o.cseBase, ResourceType.AE, pc, {
        ...(fr ? { fr } : {}),
        rqi: this.o.rqi(),
        rvi: this.o.releaseVersion,
      }),
    );
    let found: FoundAe;
    if (rsp.rsc === Rsc.CREATED) found = { ...aeOf(rsp), aeId: aeOf(rsp).aeId ?? fr };
    else if (
      (rsp.rsc === Rsc.ORIGINATOR_HAS_ALREADY_REGISTERED || rsp.rsc === Rsc.CONFLICT) &&
      fr &&
      /^[CS]./.test(fr)
    ) {
      if (!adopt) return 'exists';
      found = await this.adopt(conn, rsp, fr);
    } else {
      throw RegistrationError.refused(rsp, 'ae');
    }
    if (!found.aeId) throw new RegistrationError(rsp.rsc, 'the response carried no aei');
    await this.remember(found.aeId, found);
    return 'registered';
  }

  /**
   * TS-0004: a stem with an active registration. Confirm that `<AE>` is ours, then adopt it.
   * Found where we last knew it, else by its `ri` (the AE-ID stem, TS-0001 7.2): the registrar may
   * have named it otherwise than node.name.
   */
  private async adopt(conn: Connection, rsp: ResponsePrimitive, fr: string): Promise<FoundAe> {
    const bind = (): { fr: string; rqi: string; rvi: string } => ({
      fr,
      rqi: this.o.rqi(),
      rvi: this.o.releaseVersion,
    });
    let check = await this.send(conn, retrieveRequest(this.aePath, bind()));
    if (!isSuccess(check.rsc)) check = await this.send(conn, retrieveRequest(fr, bind()));
    const ae = aeOf(check);
    if (isSuccess(check.rsc) && (ae.aeId === undefined || ae.aeId === fr || ae.aeId.endsWith(`/${fr}`))) {
      this.o.logger.info('already registered with this stem; adopting the existing <AE>', { aeId: fr });
      return { ...ae, aeId: fr };
    }
    throw new RegistrationError(
      rsp.rsc,
      dbgOf(rsp),
      'an <AE> of that name exists and is not ours: choose another node.name',
    );
  }

  private async remember(aeId: string, found: FoundAe): Promise<void> {
    const { ri, rn } = found;
    this.identity = {
      registrarCseId: this.o.registrarCseId,
      name: this.o.name,
      aeId,
      ...(ri === undefined ? {} : { ri }),
      ...(rn === undefined || rn === this.o.name ? {} : { rn }),
      registeredAt: toOneM2MTime(Date.now(), false),
      resources: {},
    };
    await this.o.store.save(this.identity);
    this.o.logger.info('registered', { aeId, ae: this.aePath });
  }
}

/** What the registrar told us of an `<AE>`: its AE-ID (`aei`), `ri` and name. */
interface FoundAe {
  readonly aeId?: string | undefined;
  readonly ri?: string | undefined;
  readonly rn?: string | undefined;
}

function aeOf(rsp: ResponsePrimitive): FoundAe {
  const ae = (rsp.pc?.['m2m:ae'] ?? {}) as { aei?: unknown; ri?: unknown; rn?: unknown };
  return {
    aeId: typeof ae.aei === 'string' ? ae.aei : undefined,
    ri: typeof ae.ri === 'string' ? ae.ri : undefined,
    rn: typeof ae.rn === 'string' && ae.rn !== '' ? ae.rn : undefined,
  };
}
