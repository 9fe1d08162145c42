/**
 * The requests device management sends for its resources on the registrar: each resource created
 * once (its `ri` kept with the identity under `mgmt:<key>`), adopted after a 4105, created again
 * when the registrar lost it; management objects under our `<node>` kept at their latest values.
 */
import type { Connection } from '../binding/ws/types.js';
import { Operation, ResourceType, Rsc, isSuccess, rscLabel } from '../protocol/codes.js';
import type { Content, RequestPrimitive, ResponsePrimitive } from '../protocol/primitive.js';
import type { Logger } from '../util/log.js';
import { createRequest, retrieveRequest } from './resources.js';

export interface MgmtRequestOptions {
  /** The CSEBase as used in `to` (`cse-in`): the `<node>` is created under it. */
  readonly cseBase: string;
  readonly name: string;
  readonly releaseVersion: string;
  readonly aeId: () => string | undefined;
  /** Values kept with the identity (the resources' `ri`). */
  readonly note: (key: string) => string | undefined;
  readonly setNote: (key: string, value: string) => Promise<void>;
  readonly rqi: () => string;
  readonly logger: Logger;
  readonly requestTimeoutMs: number;
}

/** A resource of ours: its `ri`, and whether it was created just now. */
export interface Known {
  readonly ri: string;
  readonly isNew: boolean;
}

const NODE_HINT = 'grant our originator CREATE of <node> (ty 14) on the CSEBase: README, "Managing a fleet"';

export class MgmtRequests {
  private refusedLogged = false;

  constructor(private readonly o: MgmtRequestOptions) {}

  get nodePath(): string {
    return `${this.o.cseBase}/${this.o.name}-node`;
  }

  note(key: string): string | undefined {
    return this.o.note(`mgmt:${key}`);
  }

  async setNoteOf(key: string, value: string): Promise<void> {
    await this.o.setNote(`mgmt:${key}`, value);
  }

  /** Forgets the `ri` of `key` (the registrar lost it): the next `ensure` creates it again. */
  async forget(key: string): Promise<void> {
    if (this.note(key)) await this.o.setNote(`mgmt:${key}`, '');
  }

  /**
   * The `ri` of the resource `key`: known, CREATEd now (`isNew`), or adopted after a 4105.
   * Undefined when the registrar refuses (logged; a 4103 on the `<node>` with a hint, once).
   */
  async ensure(
    conn: Connection,
    key: string,
    parent: string,
    ty: number,
    pc: Content,
  ): Promise<Known | undefined> {
    const known = this.note(key);
    if (known) return { ri: known, isNew: false };
    const rsp = await this.send(conn, createRequest(parent, ty, pc, this.bind()));
    let ri: string | undefined;
    if (rsp.rsc === Rsc.CREATED) ri = riOf(rsp);
    else if (rsp.rsc === Rsc.CONFLICT) {
      const rn = (Object.values(pc)[0] as { rn: string }).rn;
      ri = riOf(await this.send(conn, retrieveRequest(`${parent}/${rn}`, this.bind())));
    } else {
      await this.refused(key, parent, rsp.rsc);
      return undefined;
    }
    if (ri === undefined) return undefined;
    await this.o.setNote(`mgmt:${key}`, ri);
    if (key === 'node') this.refusedLogged = false;
    return { ri, isNew: rsp.rsc === Rsc.CREATED };
  }

  private async refused(key: string, parent: string, rsc: number): Promise<void> {
    // The parent is gone: our <node> was deleted; it is created again at the next round.
    if (rsc === Rsc.NOT_FOUND && parent === this.nodePath) await this.o.setNote('mgmt:node', '');
    const refusedNode = key === 'node' && rsc === Rsc.ORIGINATOR_HAS_NO_PRIVILEGE;
    if (refusedNode && this.refusedLogged) return;
    if (refusedNode) this.refusedLogged = true;
    this.o.logger.warn(
      refusedNode
        ? 'the registrar does not let us create our <node>; retried at the next update'
        : 'the registrar refused a device management resource',
      {
        code: refusedNode ? 'NODE_NOT_PERMITTED' : 'MGMT_REFUSED',
        resource: `${parent}/${key}`,
        rsc: rscLabel(rsc),
        ...(refusedNode ? { hint: NODE_HINT } : {}),
      },
    );
  }

  /**
   * Makes sure the management object `key` (content type `type`, e.g. `m2m:mem`) exists under our
   * node and, when `changed`, holds `values`. True when the values were sent (created or updated).
   * One the registrar lost is created again at once. `extra` goes only into the CREATE.
   */
  async keepMgmtObj(
    conn: Connection,
    o: { key: string; type: string; mgd: number; values: Content; extra?: Content },
    changed: boolean,
  ): Promise<boolean> {
    const createPc = { [o.type]: { rn: o.key, mgd: o.mgd, ...o.extra, ...o.values } };
    const known = await this.ensure(conn, o.key, this.nodePath, ResourceType.MgmtObj, createPc);
    if (known === undefined) return false;
    if (known.isNew || !changed) return known.isNew;
    const rsp = await this.update(conn, `${this.nodePath}/${o.key}`, { [o.type]: o.values });
    if (rsp.rsc !== Rsc.NOT_FOUND) return isSuccess(rsp.rsc);
    this.o.logger.info('our management object is gone from the registrar; creating it again', { key: o.key });
    await this.o.setNote(`mgmt:${o.key}`, '');
    return (await this.ensure(conn, o.key, this.nodePath, ResourceType.MgmtObj, createPc))?.isNew ?? false;
  }

  /**
   * A contentInstance of JSON text `con` in our container `key` (at `path`), created with rcn 0
   * (the registrar's copy is not needed). True when stored; a 4004 forgets the container.
   */
  async addInstance(conn: Connection, key: string, path: string, cnf: string, con: string): Promise<boolean> {
    const rsp = await this.send(
      conn,
      createRequest(
        path,
        ResourceType.ContentInstance,
        { 'm2m:cin': { cnf, con } },
        { ...this.bind(), rcn: 0 },
      ),
    );
    if (rsp.rsc === Rsc.NOT_FOUND) await this.o.setNote(`mgmt:${key}`, '');
    return isSuccess(rsp.rsc);
  }

  update(conn: Connection, to: string, pc: Content): Promise<ResponsePrimitive> {
    const req: RequestPrimitive = { op: Operation.Update, to, ...this.bind(), pc };
    return this.send(conn, req);
  }

  private bind(): { fr: string; rqi: string; rvi: string } {
    return { fr: this.o.aeId() ?? '', rqi: this.o.rqi(), rvi: this.o.releaseVersion };
  }

  private send(conn: Connection, req: RequestPrimitive): Promise<ResponsePrimitive> {
    return conn.request(req, { timeoutMs: this.o.requestTimeoutMs });
  }
}

function riOf(rsp: ResponsePrimitive): string | undefined {
  if (!isSuccess(rsp.rsc)) return undefined;
  const body = Object.values(rsp.pc ?? {})[0] as { ri?: unknown } | undefined;
  return typeof body?.ri === 'string' ? body.ri : undefined;
}
