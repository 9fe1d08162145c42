/**
 * Sends the notifications of `<subscription>`s (TS-0001 10.2.10, onem2m-reference section 6):
 * `net` 1 update of the resource, 2 its deletion, 3 creation of a direct child, 4 deletion of a
 * direct child; `rep` by `nct` (1 whole resource, 2 modified attributes, 3 resource id); `exc`
 * counts successful sends and deletes the subscription at 0. Delivery goes through the
 * `NotificationSink` the transport supplies; notifications to one target leave in order, and the
 * request that triggered them does not wait for them.
 */
import { randomBytes } from 'node:crypto';
import {
  Operation,
  ResourceType,
  Rsc,
  NotificationEventType,
  NotificationContentType,
} from '../protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../protocol/primitive.js';
import { isPlainObject } from '../protocol/validate.js';
import { describeError } from '../util/errors.js';
import { normalizeOriginator } from './address.js';
import type { CseContext } from './context.js';
import type { Delivery } from './events.js';
import { shortNameOf, toWire } from './result-content.js';
import type { ResourceNode } from './tree.js';

/** Delivery of requests the CSE originates, supplied by the transport (the WebSocket server). */
export interface NotificationSink {
  /**
   * Sends a NOTIFY to `target` (a registree's AE-ID / CSE-ID, normalized, or a URI as given in
   * `nu`) and waits for its response. With `queueIfOffline`, a registree that is not connected
   * gets it when it reconnects (outcome `queued`).
   */
  notify(
    target: string,
    req: RequestPrimitive,
    opts: { readonly queueIfOffline: boolean },
  ): Promise<Delivery>;
  /** Sends a request over the connection of the registered CSE `cseId`; undefined if it is not connected. */
  forward?(cseId: string, req: RequestPrimitive): Promise<ResponsePrimitive | undefined>;
}

/** Used until a transport supplies a sink: nothing can be delivered. */
export const NO_SINK: NotificationSink = {
  notify: () => Promise.resolve({ outcome: 'undeliverable', reason: 'no transport attached to the CSE' }),
};

/** Notification event types this CSE generates. */
export const SUPPORTED_NET: readonly number[] = Object.values(NotificationEventType);

export class Notifier {
  private sink: NotificationSink = NO_SINK;
  private readonly chains = new Map<string, Promise<void>>();
  private readonly rqiPrefix = `n${randomBytes(3).toString('hex')}-`;
  private seq = 0;

  setSink(sink: NotificationSink): void {
    this.sink = sink;
  }

  getSink(): NotificationSink {
    return this.sink;
  }

  /** A fresh request identifier for a request the CSE originates. */
  nextRqi(): string {
    return `${this.rqiPrefix}${++this.seq}`;
  }

  /** `net` 3 on `parent`'s subscriptions. */
  childCreated(c: CseContext, parent: ResourceNode, child: ResourceNode): void {
    this.fire(c, parent, NotificationEventType.CreateOfDirectChild, child, undefined);
  }

  /** `net` 4 on `parent`'s subscriptions. */
  childDeleted(c: CseContext, parent: ResourceNode, child: ResourceNode): void {
    this.fire(c, parent, NotificationEventType.DeleteOfDirectChild, child, undefined);
  }

  /** `net` 1 on `node`'s subscriptions; `modified` are the attributes the UPDATE changed. */
  updated(c: CseContext, node: ResourceNode, modified: readonly string[]): void {
    this.fire(c, node, NotificationEventType.UpdateOfResource, node, modified);
  }

  /** `net` 2 on `node`'s subscriptions (called before they are removed with it). */
  deleted(c: CseContext, node: ResourceNode): void {
    this.fire(c, node, NotificationEventType.DeleteOfResource, node, undefined);
  }

  /** Tells the subscriber (`su`) that its subscription is gone (`sud`). */
  subscriptionDeleted(c: CseContext, sub: ResourceNode): void {
    const su = sub.attrs.su;
    if (typeof su !== 'string') return;
    const req = this.request(c, sub, su, { sud: true, sur: `${c.cseId}/${sub.ri}` });
    this.enqueue(c, su, req, undefined);
  }

  /**
   * Verification request (TS-0001 10.2.10.1): sent, not queued, before a subscription whose
   * `nu` names someone other than its creator is created.
   */
  async verify(
    c: CseContext,
    target: string,
    subRi: string,
    creator: string | undefined,
    rvi: string,
  ): Promise<Delivery> {
    const sgn: Record<string, unknown> = { vrq: true, sur: `${c.cseId}/${subRi}` };
    if (creator !== undefined) sgn.cr = creator;
    const req: RequestPrimitive = {
      op: Operation.Notify,
      to: target,
      fr: c.cseId,
      rqi: this.nextRqi(),
      rvi,
      pc: { 'm2m:sgn': sgn },
    };
    const delivery = await this.deliver(c, this.targetKey(c, target), req, false);
    c.events.emit('notification', { target, request: req, delivery });
    return delivery;
  }

  /** Resolves once every notification sent so far has settled. */
  async idle(): Promise<void> {
    while (this.chains.size > 0) await Promise.all([...this.chains.values()]);
  }

  private fire(
    c: CseContext,
    host: ResourceNode,
    net: number,
    subject: ResourceNode,
    modified?: readonly string[],
  ): void {
    for (const sub of c.tree.children(host, ResourceType.Subscription)) {
      // A subscription is not told about its own creation.
      if (sub === subject) continue;
      const enc = isPlainObject(sub.attrs.enc) ? sub.attrs.enc : {};
      const nets = Array.isArray(enc.net) ? enc.net : [1];
      if (!nets.includes(net)) continue;
      if (
        (net === NotificationEventType.CreateOfDirectChild ||
          net === NotificationEventType.DeleteOfDirectChild) &&
        Array.isArray(enc.chty) &&
        !enc.chty.includes(subject.ty)
      )
        continue;
      const nct = typeof sub.attrs.nct === 'number' ? sub.attrs.nct : NotificationContentType.AllAttributes;
      const sgn: Record<string, unknown> = {
        nev: { rep: this.rep(subject, nct, modified), net },
        sur: `${c.cseId}/${sub.ri}`,
      };
      if (sub.meta.creator !== undefined && sub.attrs.cr !== undefined) sgn.cr = sub.meta.creator;
      for (const nu of Array.isArray(sub.attrs.nu) ? (sub.attrs.nu as string[]) : []) {
        this.enqueue(c, nu, this.request(c, sub, nu, sgn), sub);
      }
    }
  }

  private rep(subject: ResourceNode, nct: number, modified?: readonly string[]): Record<string, unknown> {
    const wire = toWire(subject);
    if (nct === NotificationContentType.ResourceId) return { 'm2m:uri': subject.ri };
    if (nct === NotificationContentType.ModifiedAttributes && modified) {
      return {
        [`m2m:${shortNameOf(subject.ty, subject.attrs.mgd)}`]: Object.fromEntries(
          modified.map((k) => [k, wire[k]]),
        ),
      };
    }
    return { [`m2m:${shortNameOf(subject.ty, subject.attrs.mgd)}`]: wire };
  }

  private request(
    c: CseContext,
    sub: ResourceNode,
    to: string,
    sgn: Record<string, unknown>,
  ): RequestPrimitive {
    const req: RequestPrimitive = {
      op: Operation.Notify,
      to,
      fr: c.cseId,
      rqi: this.nextRqi(),
      rvi: sub.meta.rvi ?? '3',
      pc: { 'm2m:sgn': sgn },
    };
    return typeof sub.attrs.nec === 'number' ? { ...req, ec: sub.attrs.nec } : req;
  }

  /** Registree targets are keyed by their normalized id; URLs stay as given. */
  private targetKey(c: CseContext, nu: string): string {
    return nu.includes('://') ? nu : normalizeOriginator(nu, c.cseId);
  }

  private enqueue(c: CseContext, nu: string, req: RequestPrimitive, sub: ResourceNode | undefined): void {
    const key = this.targetKey(c, nu);
    const prev = this.chains.get(key) ?? Promise.resolve();
    const next = prev
      .then(async () => {
        const delivery = await this.deliver(c, key, req, true);
        c.events.emit('notification', { target: key, request: req, delivery });
        if (sub) this.countExc(c, sub, delivery);
      })
      .catch((err: unknown) => {
        c.logger.error('notification failed', { target: key, rqi: req.rqi, error: describeError(err) });
      })
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  }

  private async deliver(
    c: CseContext,
    key: string,
    req: RequestPrimitive,
    queue: boolean,
  ): Promise<Delivery> {
    if (c.quirks.notifyRequiresWsPoa && !key.includes('://')) {
      const ae = c.tree.get(key);
      const poa = ae?.ty === ResourceType.AE && Array.isArray(ae.attrs.poa) ? (ae.attrs.poa as string[]) : [];
      if (!poa.some((p) => /^wss?:\/\//i.test(p))) {
        c.logger.warn('notification not sent: the AE has no ws:// poa (ACME quirk)', {
          target: key,
          rqi: req.rqi,
        });
        return { outcome: 'undeliverable', reason: 'the AE has no ws:// entry in poa (ACME quirk)' };
      }
    }
    return this.sink.notify(key, req, { queueIfOffline: queue });
  }

  private countExc(c: CseContext, sub: ResourceNode, delivery: Delivery): void {
    if (typeof sub.attrs.exc !== 'number' || delivery.outcome !== 'delivered') return;
    if (delivery.response?.rsc !== Rsc.OK) return;
    sub.attrs.exc -= 1;
    if (sub.attrs.exc <= 0 && c.tree.has(sub.ri)) c.deleteResource(sub, undefined);
  }
}
