/**
 * The in-memory CSE: request checks common to every operation (release version, expiry, parameter
 * presence, result content, the connection's registration), addressing and routing, then the
 * per-operation flows. Transport-free: the WebSocket server (or, later, the agent's ASN role)
 * feeds it requests with a `RequestContext` and supplies a `NotificationSink` for what it sends.
 */
import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CseType, Operation, ResourceType, Rsc } from '../protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../protocol/primitive.js';
import { toOneM2MTime } from '../protocol/timestamp.js';
import { systemClock, type Clock } from '../util/clock.js';
import { describeError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';
import { normalizeOriginator, resolveAddress, type Target } from './address.js';
import { virtualInstance } from './container.js';
import type { CseContext, RequestContext } from './context.js';
import { refuse, RequestRefusedError } from './errors.js';
import type { CseEvents } from './events.js';
import { ResourceLifecycle } from './lifecycle.js';
import { Notifier, type NotificationSink } from './notifier.js';
import {
  createResource,
  deleteResourceOp,
  retrieveResource,
  updateResource,
  type HandlerTable,
  type Outcome,
} from './operations.js';
import { resolveQuirks, type Imitation, type Quirks } from './quirks.js';
import { Attachments, checkConnectionAccess, findRegistration } from './registration.js';
import { putRegistrarCse, type RegistrarRecord } from './remote-cse.js';
import { checkParameters, checkRelease, responseRvi } from './request-checks.js';
import { effectiveRcn, toWire } from './result-content.js';
import { ResourceTree } from './tree.js';
import { checkIdentity, cseBase, handlerTable } from './cse-base.js';

export interface CseOptions {
  /** SP-relative CSE-ID; default `/id-in` (as ACME). */
  readonly cseId?: string;
  /** CSEBase resource name; default `cse-in` (as ACME). */
  readonly cseName?: string;
  /** `cst`: 1 IN (default), 2 MN, 3 ASN (an ASN-CSE refuses `<remoteCSE>` creation). */
  readonly cseType?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** A preset of registrar quirks; `quirks` overrides single switches. */
  readonly imitate?: Imitation;
  readonly quirks?: Partial<Quirks>;
  /** Lifetime of a resource created without `et`; default 5 years. */
  readonly defaultLifetimeMs?: number;
  /** Source of the random part of assigned AE-ID stems and resource ids (tests). */
  readonly random?: () => string;
}

/** A relayed response keeps its own parameters, but `rqi`/`rvi` are ours to set. */
function withoutIds(p: Omit<Outcome | ResponsePrimitive, 'rsc'>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'rqi' && k !== 'rvi'));
}

/** `Cabc` → `/id-in/Cabc`, `Sabc` → `/Sabc`; CSE-IDs and SP-relative or absolute ids stay. */
function spRelativeOriginator(fr: string, cseId: string): string {
  if (fr.startsWith('/')) return fr;
  if (fr.startsWith('C')) return `${cseId}/${fr}`;
  if (fr.startsWith('S')) return `/${fr}`;
  return fr;
}

const FIVE_YEARS_MS = 5 * 365 * 24 * 3600 * 1000;

/** A small CSE holding its resources in memory. */
export class Cse {
  readonly cseId: string;
  readonly cseName: string;
  readonly quirks: Quirks;
  /** `resource`, `notification` and `attached` events. */
  readonly events = new EventEmitter<CseEvents>();
  private readonly tree: ResourceTree;
  private readonly ctx: CseContext;
  private readonly handlers: HandlerTable;
  private readonly notifier = new Notifier();
  private readonly attachments = new Attachments();
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly random: () => string;
  private readonly defaultLifetimeMs: number;
  private readonly lifecycle = new ResourceLifecycle(
    () => this.ctx,
    () => this.handlers,
  );

  constructor(opts: CseOptions = {}) {
    this.cseId = opts.cseId ?? '/id-in';
    this.cseName = opts.cseName ?? 'cse-in';
    checkIdentity(this.cseId, this.cseName);
    this.quirks = resolveQuirks(opts.imitate, opts.quirks);
    this.clock = opts.clock ?? systemClock;
    this.logger = opts.logger ?? silentLogger;
    this.random = opts.random ?? (() => randomBytes(6).toString('hex'));
    this.defaultLifetimeMs = opts.defaultLifetimeMs ?? FIVE_YEARS_MS;
    const cseType = opts.cseType ?? CseType.IN;
    this.tree = new ResourceTree(
      cseBase(this.cseId, this.cseName, cseType, toOneM2MTime(this.clock.nowMs())),
    );
    this.handlers = handlerTable(this.random);
    this.ctx = this.createContext(cseType);
  }

  /** What the resource handlers, the notifier and the lifecycle get to see of this CSE. */
  private createContext(cseType: number): CseContext {
    return {
      tree: this.tree,
      cseId: this.cseId,
      cseName: this.cseName,
      cseType,
      clock: this.clock,
      quirks: this.quirks,
      logger: this.logger,
      attachments: this.attachments,
      notifier: this.notifier,
      events: this.events,
      now: () => toOneM2MTime(this.clock.nowMs()),
      formatTime: (ms) => toOneM2MTime(ms),
      scheduleExpiry: (ms) => {
        this.lifecycle.scheduleExpiry(ms);
      },
      newRi: (prefix) => this.newRi(prefix),
      deleteResource: (node, originator) => this.lifecycle.delete(node, originator),
    };
  }

  /** Supplies the transport that delivers notifications and forwarded requests. */
  setSink(sink: NotificationSink): void {
    this.notifier.setSink(sink);
  }

  /** Records the CSE this one registered with as a local `<remoteCSE>` (ASN start-up); returns it. */
  setRegistrar(rec: RegistrarRecord): Readonly<Record<string, unknown>> {
    return toWire(putRegistrarCse(this.ctx, rec));
  }

  /** Sets the CSEBase's `poa` (the server calls this once it listens). */
  setPointOfAccess(poa: readonly string[]): void {
    this.tree.root.attrs.poa = [...poa];
  }

  /** Handles one request; always resolves with a response carrying `rqi` and `rvi`. */
  async handle(req: RequestPrimitive, rctx: RequestContext = {}): Promise<ResponsePrimitive> {
    let outcome: Outcome | ResponsePrimitive;
    try {
      outcome = await this.dispatch(req, rctx);
    } catch (err) {
      if (err instanceof RequestRefusedError) {
        this.logger.debug('request refused', { rqi: req.rqi, rsc: err.rsc, reason: err.message });
        outcome = { rsc: err.rsc, pc: { 'm2m:dbg': err.message } };
      } else {
        this.logger.error('request failed inside the CSE', { rqi: req.rqi, error: describeError(err) });
        outcome = {
          rsc: Rsc.INTERNAL_SERVER_ERROR,
          pc: { 'm2m:dbg': `internal error: ${describeError(err)}` },
        };
      }
    }
    const { rsc, ...rest } = outcome;
    return { rsc, rqi: req.rqi, rvi: responseRvi(req, this.quirks), ...withoutIds(rest) };
  }

  /** Binds an originator to a connection (ACME: the `X-M2M-Origin` of a new connection). */
  attach(originator: string, connectionId: string): void {
    const id = this.normalize(originator);
    if (findRegistration(this.tree, id) === undefined) return;
    if (this.attachments.attach(id, connectionId))
      this.events.emit('attached', { originator: id, connectionId });
  }

  /** Forgets a closed connection; returns the originators that were bound to it. */
  detach(connectionId: string): string[] {
    return this.attachments.detachConnection(connectionId);
  }

  /** The connection an originator (any AE-ID / CSE-ID form) is bound to, if any. */
  connectionOf(originator: string): string | undefined {
    return this.attachments.connectionOf(this.normalize(originator));
  }

  /** Originators bound to a connection. */
  originatorsOn(connectionId: string): readonly string[] {
    return this.attachments.originatorsOn(connectionId);
  }

  /** Attributes of the `<AE>`/`<remoteCSE>` registered for `originator` (wire form), if any. */
  registree(originator: string): Readonly<Record<string, unknown>> | undefined {
    const ri = findRegistration(this.tree, this.normalize(originator));
    const node = ri === undefined ? undefined : this.tree.get(ri);
    return node ? toWire(node) : undefined;
  }

  /** A resource by address (any form `to` accepts, `la`/`ol` too), in wire form; undefined if there is none. */
  resource(address: string): Readonly<Record<string, unknown>> | undefined {
    try {
      const t = resolveAddress(address, this.addressContext());
      if (t.kind !== 'local') return undefined;
      const node = t.virtual === undefined ? t.node : virtualInstance(this.ctx, t.node, t.virtual);
      return node ? toWire(node) : undefined;
    } catch {
      // A lookup helper: "no such resource" (4004) and a malformed address (4000) both mean none.
      return undefined;
    }
  }

  /** `/id-in/Cabc` → `Cabc`, as used for bindings and `nu` targets. */
  normalize(originator: string): string {
    return normalizeOriginator(originator, this.cseId);
  }

  /** Resolves once every notification sent so far has settled. */
  idle(): Promise<void> {
    return this.notifier.idle();
  }

  private async dispatch(req: RequestPrimitive, rctx: RequestContext): Promise<Outcome | ResponsePrimitive> {
    checkRelease(req, this.quirks);
    checkParameters(req, this.clock.nowMs());
    const rcn = effectiveRcn(req.op, req.rcn, req.fc?.fu === 1);
    this.lifecycle.sweep(this.clock.nowMs());
    const originator = req.fr === undefined || req.fr === '' ? undefined : this.normalize(req.fr);
    const isAeCreate = req.op === Operation.Create && req.ty === ResourceType.AE;
    if (originator === undefined && !isAeCreate)
      throw refuse(Rsc.BAD_REQUEST, 'fr (originator) is mandatory');
    if (this.quirks.refuseBareCseId && req.to.trim() === this.cseId)
      throw refuse(
        Rsc.BAD_REQUEST,
        `to ${req.to} (the bare CSE-ID) is refused: address the CSEBase as ${this.cseName}`,
      );
    const bind = checkConnectionAccess(req, originator, rctx, {
      tree: this.tree,
      attachments: this.attachments,
      originHeaderIdentification: this.quirks.originHeaderIdentification,
      normalize: (fr) => this.normalize(fr),
    });
    if (
      bind !== undefined &&
      rctx.connectionId !== undefined &&
      this.attachments.attach(bind, rctx.connectionId)
    )
      this.events.emit('attached', { originator: bind, connectionId: rctx.connectionId });
    const target = resolveAddress(req.to, this.addressContext());
    if (target.kind === 'remote') return this.forward(req, target.cseId);
    switch (req.op) {
      case Operation.Create:
        return createResource(
          this.ctx,
          this.handlers,
          req,
          target,
          originator,
          rctx,
          rcn,
          this.defaultLifetimeMs,
        );
      case Operation.Retrieve:
        return retrieveResource(this.ctx, req, target, rcn);
      case Operation.Update:
        return updateResource(this.ctx, this.handlers, req, target, originator, rcn);
      case Operation.Delete:
        return deleteResourceOp(this.ctx, target, originator, rcn);
      case Operation.Notify:
        return this.relayNotify(req, target);
    }
  }

  private addressContext(): Parameters<typeof resolveAddress>[1] {
    return {
      tree: this.tree,
      cseId: this.cseId,
      cseName: this.cseName,
      isRemoteCse: (id) =>
        this.tree.children(this.tree.root, ResourceType.RemoteCSE).some((n) => n.attrs.csi === id),
    };
  }

  /** A request for a registered remote CSE goes over its connection (TS-0020 clause 7). */
  private async forward(req: RequestPrimitive, cseId: string): Promise<ResponsePrimitive> {
    const sink = this.notifier.getSink();
    if (!sink.forward) throw refuse(Rsc.TARGET_NOT_REACHABLE, `${cseId} cannot be reached from here`);
    // A C-stem AE-ID means something only here: the remote CSE sees it SP-relative (TS-0001 7.2).
    const fr = req.fr === undefined ? undefined : spRelativeOriginator(req.fr, this.cseId);
    const rsp = await sink.forward(cseId, {
      ...req,
      ...(fr === undefined ? {} : { fr }),
      rqi: this.notifier.nextRqi(),
    });
    if (!rsp) throw refuse(Rsc.TARGET_NOT_REACHABLE, `${cseId} is not connected`);
    return { ...rsp, rqi: req.rqi };
  }

  /** A NOTIFY addressed to a registered AE is relayed over its connection; others are not for us. */
  private async relayNotify(req: RequestPrimitive, target: Target): Promise<ResponsePrimitive | Outcome> {
    if (target.kind !== 'local' || target.node.ty !== ResourceType.AE || target.virtual || target.attribute)
      throw refuse(
        Rsc.OPERATION_NOT_ALLOWED,
        'NOTIFY can only be sent to a registered AE through this registrar',
      );
    const delivery = await this.notifier
      .getSink()
      .notify(target.node.ri, { ...req, rqi: this.notifier.nextRqi() }, { queueIfOffline: false });
    if (delivery.outcome !== 'delivered' || !delivery.response)
      throw refuse(
        Rsc.TARGET_NOT_REACHABLE,
        `${target.node.ri} is not reachable: ${delivery.reason ?? 'not connected'}`,
      );
    return { ...delivery.response, rqi: req.rqi };
  }

  private newRi(prefix: string): string {
    for (;;) {
      const ri = `${prefix}${this.random()}`;
      if (!this.tree.has(ri)) return ri;
    }
  }
}
