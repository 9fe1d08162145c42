/**
 * `<subscription>` (ty 23, TS-0001 9.6.8 / 10.2.10). `nu` entries are registree ids (AE-ID or
 * CSE-ID, any form) or URIs. A `nu` naming someone other than the creator is verified first
 * (a NOTIFY with `vrq`): refused → 4101, not deliverable → 5204. `nu` = the creator itself is not
 * verified (R3 text, ACME). URIs are accepted without verification; this registrar never dials
 * out, so notifications to them are reported undeliverable.
 */
import { ResourceType, Rsc, NotificationContentType } from '../protocol/codes.js';
import { isPlainObject } from '../protocol/validate.js';
import { normalizeOriginator } from './address.js';
import { checkNonNegativeInt, SUBSCRIPTION_POLICY } from './attributes.js';
import type { CseContext, CreateInput, Prepared, TypeHandler } from './context.js';
import { refuse } from './errors.js';
import { SUPPORTED_NET } from './notifier.js';
import { isRegistered } from './registration.js';
import type { ResourceNode } from './tree.js';

/** The `<subscription>` handler. */
export const subscriptionHandler: TypeHandler = {
  ty: ResourceType.Subscription,
  short: 'sub',
  policy: SUBSCRIPTION_POLICY,
  parents: [
    ResourceType.CSEBase,
    ResourceType.AE,
    ResourceType.Container,
    ResourceType.RemoteCSE,
    ResourceType.Node,
    ResourceType.MgmtObj,
  ],
  updatable: true,
  async prepareCreate(c: CseContext, input: CreateInput): Promise<Prepared> {
    checkSubscription(input.attrs);
    const ri = c.newRi('sub');
    const rvi = input.req.rvi ?? '3';
    for (const nu of input.attrs.nu as string[]) {
      if (nu.includes('://')) {
        c.logger.warn(
          'subscription with a URI target: this registrar does not dial out, notifications to it are dropped',
          {
            nu,
          },
        );
        continue;
      }
      const target = normalizeOriginator(nu, c.cseId);
      if (target === input.originator) continue;
      if (!isRegistered(c.tree, target))
        throw refuse(
          Rsc.SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
          `nu ${nu} is neither a registered AE/CSE nor a URI`,
        );
      const delivery = await c.notifier.verify(c, nu, ri, input.originator, rvi);
      if (delivery.outcome !== 'delivered')
        throw refuse(
          Rsc.SUBSCRIPTION_VERIFICATION_INITIATION_FAILED,
          `verification request to ${nu} could not be delivered: ${delivery.reason ?? 'no answer'}`,
        );
      if (delivery.response?.rsc !== Rsc.OK)
        throw refuse(
          Rsc.SUBSCRIPTION_CREATOR_HAS_NO_PRIVILEGE,
          `${nu} refused the verification request (${delivery.response?.rsc ?? '?'})`,
        );
    }
    return { ri, attrs: { ...input.attrs } };
  },
  checkUpdate(_c: CseContext, _node: ResourceNode, changes: Readonly<Record<string, unknown>>): void {
    checkSubscription(changes);
  },
  afterDelete(c: CseContext, node: ResourceNode): void {
    c.notifier.subscriptionDeleted(c, node);
  },
};

/** The notification contents this registrar sends (trigger payload and time series it does not). */
const SUPPORTED_NCT: readonly unknown[] = [
  NotificationContentType.AllAttributes,
  NotificationContentType.ModifiedAttributes,
  NotificationContentType.ResourceId,
];

function checkSubscription(attrs: Readonly<Record<string, unknown>>): void {
  if (Array.isArray(attrs.nu) && attrs.nu.length === 0)
    throw refuse(Rsc.BAD_REQUEST, 'nu must name at least one target');
  const nct = attrs.nct;
  if (nct !== undefined && nct !== null) {
    if (!SUPPORTED_NCT.includes(nct))
      throw refuse(
        nct === NotificationContentType.TriggerPayload ||
          nct === NotificationContentType.TimeSeriesNotification
          ? Rsc.NOT_IMPLEMENTED
          : Rsc.BAD_REQUEST,
        `nct ${JSON.stringify(nct)} is not supported`,
      );
  }
  checkNonNegativeInt(attrs.exc, 'exc');
  if (attrs.exc === 0) throw refuse(Rsc.BAD_REQUEST, 'exc must be at least 1');
  const enc = attrs.enc;
  if (enc === undefined || enc === null || !isPlainObject(enc)) return;
  if (enc.net !== undefined) {
    if (!Array.isArray(enc.net) || enc.net.length === 0 || !enc.net.every((n) => typeof n === 'number'))
      throw refuse(Rsc.BAD_REQUEST, 'enc.net must be a non-empty array of numbers');
    for (const n of enc.net) {
      if (!Number.isInteger(n) || n < 1 || n > 8)
        throw refuse(Rsc.BAD_REQUEST, `enc.net ${n} is not a notificationEventType`);
      if (!SUPPORTED_NET.includes(n))
        throw refuse(Rsc.NOT_IMPLEMENTED, `enc.net ${n} is not implemented by this registrar`);
    }
  }
  if (enc.chty !== undefined && (!Array.isArray(enc.chty) || !enc.chty.every((n) => typeof n === 'number')))
    throw refuse(Rsc.BAD_REQUEST, 'enc.chty must be an array of resource types');
}
