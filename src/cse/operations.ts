/**
 * CREATE, RETRIEVE, UPDATE and DELETE on local resources (TS-0001 10.1.2-10.1.5), shared by every
 * resource type; the per-type rules live in the `TypeHandler`s. Each returns the status code and
 * content of the response; refusals are thrown as `RequestRefusedError`.
 */
import { ResourceType, Rsc } from '../protocol/codes.js';
import type { Content, RequestPrimitive } from '../protocol/primitive.js';
import { parseOneM2MTime } from '../protocol/timestamp.js';
import { isPlainObject } from '../protocol/validate.js';
import type { Target } from './address.js';
import { checkAttributes } from './attributes.js';
import { bumpStateTag, enforceLimits, virtualInstance } from './container.js';
import type { CseContext, CreateInput, Prepared, RequestContext, TypeHandler } from './context.js';
import { refuse } from './errors.js';
import { filteredRepresentation, parseFilterCriteria } from './filter.js';
import type { ResourceEvent } from './events.js';
import { createResult, representation, shortNameOf, toWire, updateResult, wrap } from './result-content.js';
import type { ResourceNode } from './tree.js';

/** Status code and content of a response, before `rqi`/`rvi` are added. */
export interface Outcome {
  readonly rsc: number;
  readonly pc?: Content;
}

type LocalTarget = Extract<Target, { kind: 'local' }>;

/** Handlers by resource type. */
export type HandlerTable = Readonly<Record<number, TypeHandler>>;

/** The attributes under the single `m2m:<short>` member of `pc`, or 4000. */
function contentOf(pc: RequestPrimitive['pc'], short: string): Record<string, unknown> {
  const key = `m2m:${short}`;
  const body = pc?.[key];
  if (!pc || !isPlainObject(body)) throw refuse(Rsc.BAD_REQUEST, `pc must hold the resource as "${key}"`);
  const others = Object.keys(pc).filter((k) => k !== key);
  if (others.length > 0) throw refuse(Rsc.BAD_REQUEST, `unexpected member ${others.join(', ')} in pc`);
  return body;
}

function checkFutureEt(c: CseContext, et: unknown): number | undefined {
  if (typeof et !== 'string') return undefined;
  const ms = parseOneM2MTime(et);
  if (ms === undefined || ms <= c.clock.nowMs())
    throw refuse(Rsc.BAD_REQUEST, `expirationTime ${et} is not in the future`);
  return ms;
}

/** CREATE of a child of the target. */
export async function createResource(
  c: CseContext,
  handlers: HandlerTable,
  req: RequestPrimitive,
  target: LocalTarget,
  originator: string | undefined,
  rctx: RequestContext,
  rcn: number,
  defaultLifetimeMs: number,
): Promise<Outcome> {
  const handler = creatingHandler(handlers, req, target);
  const parent = target.node;
  const short = handler.contentShort?.(req.pc) ?? handler.short;
  const body = contentOf(req.pc, short);
  const { rn, attrs } = checkCreateContent(c, handler, body, short);
  const etMs = checkFutureEt(c, attrs.et);
  const input: CreateInput = { req, originator, parent, rn, attrs, rctx };
  const prepared = await handler.prepareCreate(c, input);
  const { ri, name } = placeInTree(c, handler, input, prepared);
  const now = c.now();
  const expiresMs = etMs ?? c.clock.nowMs() + defaultLifetimeMs;
  const node: ResourceNode = {
    ty: handler.ty,
    ri,
    rn: name,
    pi: parent.ri,
    attrs: {
      ct: now,
      lt: now,
      et: attrs.et ?? c.formatTime(expiresMs),
      ...withCreator(prepared, originator),
    },
    children: [],
    meta: { creator: originator, rvi: req.rvi, etMs: expiresMs },
  };
  c.tree.add(node);
  handler.afterCreate?.(c, node, input);
  c.scheduleExpiry(expiresMs);
  if (c.tree.has(node.ri)) {
    c.events.emit('resource', resourceEvent(c, 'created', node, originator));
    c.notifier.childCreated(c, parent, node);
  }
  return { rsc: Rsc.CREATED, pc: createResult(c.tree, node, rcn, body) };
}

/** The handler of the requested type, if it may be created under the target. */
function creatingHandler(handlers: HandlerTable, req: RequestPrimitive, target: LocalTarget): TypeHandler {
  if (target.virtual !== undefined || target.attribute !== undefined)
    throw refuse(Rsc.OPERATION_NOT_ALLOWED, 'CREATE cannot target a virtual resource or an attribute');
  if (req.ty === undefined) throw refuse(Rsc.BAD_REQUEST, 'ty (resource type) is mandatory in CREATE');
  const handler = handlers[req.ty];
  if (!handler)
    throw refuse(Rsc.NOT_IMPLEMENTED, `resource type ${req.ty} is not implemented by this registrar`);
  const parent = target.node;
  if (!handler.parents.includes(parent.ty))
    throw refuse(
      Rsc.INVALID_CHILD_RESOURCE_TYPE,
      `a ${shortNameOf(req.ty)} cannot be created under a ${shortNameOf(parent.ty)}`,
    );
  return handler;
}

/** The content checked against the type's attribute policy, split into `rn` and the attributes. */
function checkCreateContent(
  c: CseContext,
  handler: TypeHandler,
  body: Record<string, unknown>,
  short: string,
): { rn: string | undefined; attrs: Record<string, unknown> } {
  checkAttributes(body, handler.policy, 'c', `m2m:${short}`);
  const { rn, ...attrs } = body;
  if (rn !== undefined) checkResourceName(rn);
  if (c.quirks.refuseEmptyLists)
    for (const [k, v] of Object.entries(attrs))
      if (Array.isArray(v) && v.length === 0)
        throw refuse(Rsc.BAD_REQUEST, `Optional list attribute must be non-empty: ${k}`);
  return { rn: rn as string | undefined, attrs };
}

/** The new resource's id and name, once the handler prepared it (the tree may have changed meanwhile). */
function placeInTree(
  c: CseContext,
  handler: TypeHandler,
  input: CreateInput,
  prepared: Prepared,
): { ri: string; name: string } {
  const { parent } = input;
  // The tree may have changed while the handler waited (subscription verification).
  if (!c.tree.has(parent.ri)) throw refuse(Rsc.NOT_FOUND, 'the parent resource was deleted meanwhile');
  const ri = prepared.ri ?? c.newRi(handler.short);
  if (c.tree.has(ri)) throw refuse(Rsc.CONFLICT, `resource id ${ri} is already in use`);
  const name = prepared.rn ?? input.rn ?? prepared.defaultRn ?? ri;
  if (c.tree.child(parent, name))
    throw refuse(
      Rsc.CONFLICT,
      `a resource named ${name} already exists under ${c.tree.structuredPath(parent)}`,
    );
  return { ri, name };
}

/** The type's attributes, with a `cr: null` request answered by the originator (or dropped). */
function withCreator(prepared: Prepared, originator: string | undefined): Record<string, unknown> {
  const typeAttrs = { ...prepared.attrs };
  if (typeAttrs.cr === null) {
    if (originator === undefined) delete typeAttrs.cr;
    else typeAttrs.cr = originator;
  }
  return typeAttrs;
}

function checkResourceName(rn: unknown): void {
  if (typeof rn !== 'string' || rn === '' || /[/#?\s]/.test(rn))
    throw refuse(Rsc.BAD_REQUEST, `rn ${JSON.stringify(rn)} is not a valid resource name`);
  if (rn === 'la' || rn === 'ol')
    throw refuse(Rsc.BAD_REQUEST, `rn ${rn} is reserved for a virtual resource`);
}

/** The node a RETRIEVE/DELETE acts on: the target, or the instance `la`/`ol` stands for. */
function actualNode(c: CseContext, target: LocalTarget): ResourceNode {
  if (target.virtual === undefined) return target.node;
  const cin = virtualInstance(c, target.node, target.virtual);
  if (!cin) throw refuse(Rsc.NOT_FOUND, `the container has no content instance (${target.virtual})`);
  return cin;
}

/** RETRIEVE of the target, of `la`/`ol`, or of one attribute (`#attr`); `fc` per `filter.ts`. */
export function retrieveResource(
  c: CseContext,
  req: RequestPrimitive,
  target: LocalTarget,
  rcn: number,
): Outcome {
  const filter = req.fc === undefined ? undefined : parseFilterCriteria(req.fc);
  const node = actualNode(c, target);
  if (filter) {
    if (target.attribute !== undefined)
      throw refuse(Rsc.BAD_REQUEST, 'filter criteria cannot select within one attribute');
    return { rsc: Rsc.OK, pc: filteredRepresentation(c.tree, node, rcn, filter, req.drt) };
  }
  if (target.attribute !== undefined) {
    const wire = toWire(node);
    if (!(target.attribute in wire))
      throw refuse(Rsc.NOT_FOUND, `attribute ${target.attribute} is not present`);
    return { rsc: Rsc.OK, pc: wrap(node.ty, { [target.attribute]: wire[target.attribute] }) };
  }
  return { rsc: Rsc.OK, pc: representation(c.tree, node, rcn) };
}

/** UPDATE of the target's attributes; `null` deletes an optional attribute. */
export function updateResource(
  c: CseContext,
  handlers: HandlerTable,
  req: RequestPrimitive,
  target: LocalTarget,
  originator: string | undefined,
  rcn: number,
): Outcome {
  if (target.virtual !== undefined)
    throw refuse(Rsc.OPERATION_NOT_ALLOWED, 'a virtual resource cannot be updated');
  if (target.attribute !== undefined)
    throw refuse(Rsc.BAD_REQUEST, 'UPDATE addresses the resource, not one attribute');
  const node = target.node;
  const handler = handlers[node.ty];
  if (node.ty === ResourceType.CSEBase)
    throw refuse(Rsc.OPERATION_NOT_ALLOWED, 'the CSEBase cannot be updated here');
  if (!handler)
    throw refuse(Rsc.NOT_IMPLEMENTED, `resource type ${node.ty} is not implemented by this registrar`);
  if (!handler.updatable)
    throw refuse(Rsc.OPERATION_NOT_ALLOWED, `a ${handler.short} cannot be updated (TS-0001)`);
  const short = shortNameOf(node.ty, node.attrs.mgd);
  const changes = contentOf(req.pc, short);
  checkAttributes(changes, handler.policy, 'u', `m2m:${short}`);
  const etMs = checkFutureEt(c, changes.et);
  handler.checkUpdate?.(c, node, changes);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) Reflect.deleteProperty(node.attrs, k);
    else node.attrs[k] = v;
  }
  node.attrs.lt = c.now();
  bumpStateTag(node);
  if (etMs !== undefined) {
    node.meta.etMs = etMs;
    c.scheduleExpiry(etMs);
  }
  const modified = [...Object.keys(changes), 'lt', ...(typeof node.attrs.st === 'number' ? ['st'] : [])];
  c.events.emit('resource', resourceEvent(c, 'updated', node, originator));
  c.notifier.updated(c, node, Object.keys(changes));
  // New limits apply at once: the oldest instances beyond them go (TS-0001 9.6.6).
  if (node.ty === ResourceType.Container) enforceLimits(c, node);
  return { rsc: Rsc.UPDATED, pc: updateResult(node, rcn, modified) };
}

/** DELETE of the target (or of the instance `la`/`ol` stands for), with its descendants. */
export function deleteResourceOp(
  c: CseContext,
  target: LocalTarget,
  originator: string | undefined,
  rcn: number,
): Outcome {
  if (target.attribute !== undefined)
    throw refuse(Rsc.BAD_REQUEST, 'DELETE addresses the resource, not one attribute');
  const node = actualNode(c, target);
  if (node.ty === ResourceType.CSEBase)
    throw refuse(Rsc.OPERATION_NOT_ALLOWED, 'the CSEBase cannot be deleted');
  const pc = representation(c.tree, node, rcn);
  c.deleteResource(node, originator);
  return { rsc: Rsc.DELETED, ...(pc === undefined ? {} : { pc }) };
}

/** The `resource` event for a node. */
export function resourceEvent(
  c: CseContext,
  kind: 'created' | 'updated' | 'deleted',
  node: ResourceNode,
  originator: string | undefined,
): ResourceEvent {
  return {
    kind,
    ty: node.ty,
    ri: node.ri,
    path: c.tree.structuredPath(node),
    resource: toWire(node),
    originator,
  };
}
