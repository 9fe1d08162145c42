/**
 * The resources the agent owns under its `<AE>` (onem2m-reference section 9): one container per
 * device, a command container per actuator and, when the registrar can notify over the link, a
 * subscription to that command container. Each one's `ri` is kept with the identity.
 */
import type { Connection } from '../binding/ws/types.js';
import type { ContainerAttributes } from '../config/types.js';
import { Rsc, ResourceType, isSuccess } from '../protocol/codes.js';
import type { ResponsePrimitive } from '../protocol/primitive.js';
import type { Logger } from '../util/log.js';
import { ResourceSetupError } from './errors.js';
import { pathBelow, withResource, type Identity } from './identity.js';
import {
  commandSubscriptionContent,
  containerContent,
  createRequest,
  retrieveRequest,
  COMMAND_CONTAINER_NAME,
  COMMAND_SUBSCRIPTION_NAME,
} from './resources.js';

export interface RegistrationDevice {
  readonly name: string;
  readonly kind: 'sensor' | 'actuator';
  readonly container: ContainerAttributes;
}

export interface ResourceSetupOptions {
  /** The path of our `<AE>` as used in `to` (from the registrar's answer once registered). */
  readonly aePath: () => string;
  readonly devices: readonly RegistrationDevice[];
  /** Subscribe to command containers (false: the registrar cannot notify over the link; poll instead). */
  readonly subscribe: boolean;
  readonly releaseVersion: string;
  readonly rqi: () => string;
  readonly logger: Logger;
  /** Sends one request on the connection (with the registration's timeout). */
  readonly send: (conn: Connection, req: Parameters<Connection['request']>[0]) => Promise<ResponsePrimitive>;
  /** The current identity; nothing is created without one. */
  readonly identity: () => Identity | undefined;
  /** Keeps and stores the identity with a resource's `ri` added. */
  readonly save: (identity: Identity) => Promise<void>;
}

/** Creates (or adopts) the resources under our `<AE>`, the collaborator of `Registration`. */
export class ResourceSetup {
  constructor(private readonly o: ResourceSetupOptions) {}

  /** True when the identity holds the `ri` of every resource we own. */
  allKnown(): boolean {
    const r = this.o.identity()?.resources ?? {};
    return this.o.devices.every(
      (d) =>
        r[d.name] !== undefined &&
        (d.kind !== 'actuator' ||
          (r[`${d.name}/${COMMAND_CONTAINER_NAME}`] !== undefined &&
            (!this.o.subscribe ||
              r[`${d.name}/${COMMAND_CONTAINER_NAME}/${COMMAND_SUBSCRIPTION_NAME}`] !== undefined))),
    );
  }

  /** Creates each resource not yet known (`force`: each one, known or not). */
  async create(conn: Connection, force = false): Promise<void> {
    for (const d of this.o.devices) {
      await this.ensureResource(
        conn,
        d.name,
        ResourceType.Container,
        containerContent(d.name, d.container),
        force,
      );
      if (d.kind !== 'actuator') continue;
      const cmdKey = `${d.name}/${COMMAND_CONTAINER_NAME}`;
      await this.ensureResource(
        conn,
        cmdKey,
        ResourceType.Container,
        containerContent(COMMAND_CONTAINER_NAME, { mni: 10 }),
        force,
      );
      if (!this.o.subscribe) continue;
      const id = this.o.identity();
      if (!id) return;
      await this.ensureResource(
        conn,
        `${cmdKey}/${COMMAND_SUBSCRIPTION_NAME}`,
        ResourceType.Subscription,
        commandSubscriptionContent(id.aeId),
        force,
      );
    }
  }

  /** The path of the resource `key` (`fan/command`) as used in `to`, with the names the registrar gave. */
  pathOf(key: string): string {
    return `${this.o.aePath()}/${pathBelow(this.o.identity(), key)}`;
  }

  /**
   * CREATE of the resource `key` under its parent (both addressed with the names the registrar
   * gave them). Its `ri`, and its `rn` where the registrar chose another, are kept with the identity.
   */
  private async ensureResource(
    conn: Connection,
    key: string,
    ty: number,
    pc: Record<string, unknown>,
    force: boolean,
  ): Promise<void> {
    const id = this.o.identity();
    if (!id) return;
    if (!force && id.resources[key] !== undefined) return;
    const slash = key.lastIndexOf('/');
    const asked = key.slice(slash + 1);
    const parent = slash < 0 ? this.o.aePath() : this.pathOf(key.slice(0, slash));
    const rsp = await this.o.send(
      conn,
      createRequest(parent, ty, pc, { fr: id.aeId, rqi: this.o.rqi(), rvi: this.o.releaseVersion }),
    );
    let ri: string;
    let rn = asked;
    if (rsp.rsc === Rsc.CREATED) {
      const body = Object.values(rsp.pc ?? {})[0] as { ri?: unknown; rn?: unknown } | undefined;
      ri = typeof body?.ri === 'string' ? body.ri : key;
      if (typeof body?.rn === 'string' && body.rn !== '') rn = body.rn;
    } else if (rsp.rsc === Rsc.CONFLICT) {
      // Ours from an earlier life (a lost response, a restored state dir): adopt it. Its `ri` is
      // needed (notifications name the subscription by it), so ask for it if we do not know it.
      const path = `${parent}/${id.names?.[key] ?? asked}`;
      ri = id.resources[key] ?? (await this.riOf(conn, path, id.aeId)) ?? key;
      rn = id.names?.[key] ?? asked;
      this.o.logger.debug('resource exists already; adopting it', { path, ri });
    } else {
      throw new ResourceSetupError(`${parent}/${asked}`, rsp.rsc, dbgOf(rsp));
    }
    if (rn !== asked)
      this.o.logger.info('the registrar named our resource differently; using its name', { asked, rn });
    await this.o.save(withResource(id, key, ri, rn === asked ? undefined : rn));
  }

  /** The `ri` of an existing resource by RETRIEVE, or undefined if the registrar does not say. */
  private async riOf(conn: Connection, path: string, fr: string): Promise<string | undefined> {
    const rsp = await this.o.send(
      conn,
      retrieveRequest(path, { fr, rqi: this.o.rqi(), rvi: this.o.releaseVersion }),
    );
    const body = isSuccess(rsp.rsc)
      ? (Object.values(rsp.pc ?? {})[0] as { ri?: unknown } | undefined)
      : undefined;
    return typeof body?.ri === 'string' ? body.ri : undefined;
  }
}

/** The response's `m2m:dbg` text, or '' when it has none. */
export function dbgOf(rsp: ResponsePrimitive): string {
  const d = rsp.pc?.['m2m:dbg'];
  return typeof d === 'string' ? d : '';
}
