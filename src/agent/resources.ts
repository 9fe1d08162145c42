/**
 * The request primitives the agent sends, built from configuration and state: `<AE>` registration,
 * device containers, command subscriptions and contentInstances (onem2m-reference sections 4, 9).
 */
import { EVENT_CATEGORY_BY_NAME, ResourceType, Operation } from '../protocol/codes.js';
import type { RequestPrimitive, Content } from '../protocol/primitive.js';
import type { ContainerAttributes } from '../config/types.js';

const BEST_EFFORT = EVENT_CATEGORY_BY_NAME.bestEffort;

/** Name of the subscription the agent puts on each command container. */
export const COMMAND_SUBSCRIPTION_NAME = 'm2m-agent-sub';
/** Name of the command container under an actuator's container. */
export const COMMAND_CONTAINER_NAME = 'command';

export interface AeContentOptions {
  readonly name: string;
  readonly appId: string;
  readonly releaseVersion: string;
  /** Media types of the serializations we accept, preferred first. */
  readonly csz: readonly string[];
  readonly poa: readonly string[];
}

/** `m2m:ae` of the registration CREATE: `rr` true so the registrar relays requests over our link. */
export function aeContent(o: AeContentOptions): Content {
  const ae: Record<string, unknown> = { rn: o.name, api: o.appId, rr: true, srv: [o.releaseVersion] };
  if (o.csz.length > 0) ae.csz = [...o.csz];
  if (o.poa.length > 0) ae.poa = [...o.poa];
  return { 'm2m:ae': ae };
}

export function containerContent(name: string, attrs: ContainerAttributes): Content {
  const cnt: Record<string, unknown> = { rn: name };
  if (attrs.mni !== undefined) cnt.mni = attrs.mni;
  if (attrs.mbs !== undefined) cnt.mbs = attrs.mbs;
  if (attrs.mia !== undefined) cnt.mia = attrs.mia;
  return { 'm2m:cnt': cnt };
}

/** A subscription that notifies the AE itself (no verification needed) of new commands. */
export function commandSubscriptionContent(aeId: string): Content {
  return {
    // `su`: the registrar tells us (sud) if it deletes the subscription, so we can recreate it.
    'm2m:sub': { rn: COMMAND_SUBSCRIPTION_NAME, nu: [aeId], su: aeId, enc: { net: [3] }, nct: 1 },
  };
}

/**
 * A CREATE request; `rqi`/`rvi`/`fr` are bound here, at send time. `ec` bestEffort (3) is left
 * out: a CSE handles a request without `ec` by its default policy, which buffers as it likes,
 * i.e. best effort (onem2m-reference, ec); immediate and latest say something and are sent.
 */
export function createRequest(
  to: string,
  ty: number,
  pc: Content,
  bind: { fr?: string; rqi: string; rvi: string; ec?: number; rcn?: number },
): RequestPrimitive {
  return {
    op: Operation.Create,
    to,
    ...(bind.fr === undefined ? {} : { fr: bind.fr }),
    rqi: bind.rqi,
    rvi: bind.rvi,
    ty,
    pc,
    ...(bind.ec === undefined || bind.ec === BEST_EFFORT ? {} : { ec: bind.ec }),
    ...(bind.rcn === undefined ? {} : { rcn: bind.rcn }),
  };
}

export function retrieveRequest(
  to: string,
  bind: { fr: string; rqi: string; rvi: string },
): RequestPrimitive {
  return { op: Operation.Retrieve, to, fr: bind.fr, rqi: bind.rqi, rvi: bind.rvi };
}

export function deleteRequest(to: string, bind: { fr: string; rqi: string; rvi: string }): RequestPrimitive {
  return { op: Operation.Delete, to, fr: bind.fr, rqi: bind.rqi, rvi: bind.rvi };
}

export { ResourceType };
