/**
 * Resource representations and Result Content (`rcn`, TS-0001 table 8.1.2-1, TS-0004 6.3.3.2.x):
 * which `rcn` each operation allows, and the `pc` each value produces. `rcn` 7 (original
 * resource) and 10 (semantic content) are valid but not implemented here (5001).
 */
import { Operation, RESOURCE_SHORT_NAME, ResourceType, Rsc, ResultContent } from '../protocol/codes.js';
import type { Content } from '../protocol/primitive.js';
import { refuse } from './errors.js';
import { mgmtShortName } from './management.js';
import type { ResourceNode, ResourceTree } from './tree.js';

/** Valid `rcn` per operation and the default when absent. */
const VALID_RCN: Readonly<Record<number, { readonly valid: readonly number[]; readonly dflt: number }>> = {
  [Operation.Create]: { valid: [0, 1, 2, 3, 9], dflt: 1 },
  [Operation.Retrieve]: { valid: [1, 4, 5, 6, 7, 8, 10], dflt: 1 },
  [Operation.Update]: { valid: [0, 1, 9], dflt: 1 },
  [Operation.Delete]: { valid: [0, 1, 4, 5, 6, 8], dflt: 0 },
};

/** `rcn` 11, discovery result references: valid only for a discovery (RETRIEVE with `fu` 1, TS-0004 7.3.3.17.10). */

/**
 * The `rcn` to apply: the request's if valid for `op`, else 4000; the default when absent.
 * `discovery`: the RETRIEVE has `fu` 1, so `rcn` 11 is valid too (ACME sends it with every discovery).
 */
export function effectiveRcn(op: number, rcn: number | undefined, discovery = false): number {
  if (discovery && op === Operation.Retrieve && rcn === ResultContent.DiscoveryResultReferences) return rcn;
  const rule = VALID_RCN[op];
  if (!rule) {
    if (rcn !== undefined) throw refuse(Rsc.BAD_REQUEST, 'rcn is not permitted in this operation');
    return 0;
  }
  if (rcn === undefined) return rule.dflt;
  if (!rule.valid.includes(rcn))
    throw refuse(Rsc.BAD_REQUEST, `rcn ${rcn} is not valid for this operation (TS-0001 8.1.2)`);
  if (rcn === ResultContent.OriginalResource || rcn === ResultContent.SemanticContent)
    throw refuse(Rsc.NOT_IMPLEMENTED, `rcn ${rcn} is not implemented by this registrar`);
  return rcn;
}

/** Short name of a type (`cnt`), as in `m2m:cnt`; a mgmtObj's is its specialization's, by `mgd` (`dvi`). */
export function shortNameOf(ty: number, mgd?: unknown): string {
  if (ty === ResourceType.MgmtObj) {
    const special = mgmtShortName(mgd);
    if (special !== undefined) return special;
  }
  return RESOURCE_SHORT_NAME[ty] ?? `ty${ty}`;
}

/** The resource as it goes on the wire, universal attributes first. */
export function toWire(node: ResourceNode): Record<string, unknown> {
  const head: Record<string, unknown> = { rn: node.rn, ty: node.ty, ri: node.ri };
  if (node.pi !== undefined) head.pi = node.pi;
  return { ...head, ...node.attrs };
}

/** `{ "m2m:<short>": body }`. */
export function wrap(ty: number, body: Readonly<Record<string, unknown>>): Content {
  return { [`m2m:${shortNameOf(ty, body.mgd)}`]: body };
}

/** A child resource reference `{nm, typ, val}` (val: the unstructured id). */
function childRef(child: ResourceNode): Record<string, unknown> {
  return { nm: child.rn, typ: child.ty, val: child.ri };
}

/** Resource plus its descendants, children grouped as `"m2m:<short>": [...]` (rcn 4). */
function withChildren(tree: ResourceTree, node: ResourceNode, includeSelf: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = includeSelf ? toWire(node) : {};
  for (const child of tree.children(node)) {
    const key = `m2m:${shortNameOf(child.ty, child.attrs.mgd)}`;
    const list = (out[key] as unknown[] | undefined) ?? [];
    list.push(withChildren(tree, child, true));
    out[key] = list;
  }
  return out;
}

/** The `pc` for a RETRIEVE (and for DELETE with rcn 1, 4, 5, 6, 8, taken before the removal). */
export function representation(tree: ResourceTree, node: ResourceNode, rcn: number): Content | undefined {
  switch (rcn) {
    case ResultContent.Nothing:
      return undefined;
    case ResultContent.Attributes:
      return wrap(node.ty, toWire(node));
    case ResultContent.AttributesAndChildResources:
      return wrap(node.ty, withChildren(tree, node, true));
    case ResultContent.AttributesAndChildResourceReferences:
      return wrap(node.ty, { ...toWire(node), ch: tree.children(node).map(childRef) });
    case ResultContent.ChildResourceReferences:
      return { 'm2m:rrl': { rrf: tree.children(node).map(childRef) } };
    case ResultContent.ChildResources:
      return wrap(node.ty, withChildren(tree, node, false));
    default:
      throw refuse(Rsc.NOT_IMPLEMENTED, `rcn ${rcn} is not implemented by this registrar`);
  }
}

/**
 * The `pc` for a CREATE: nothing (0), attributes (1), the structured address (2, `m2m:uri`),
 * both (3, `m2m:rce`), or the attributes the CSE assigned or changed (9).
 */
export function createResult(
  tree: ResourceTree,
  node: ResourceNode,
  rcn: number,
  requested: Readonly<Record<string, unknown>>,
): Content | undefined {
  const uri = tree.structuredPath(node);
  switch (rcn) {
    case ResultContent.Nothing:
      return undefined;
    case ResultContent.HierarchicalAddress:
      return { 'm2m:uri': uri };
    case ResultContent.HierarchicalAddressAndAttributes:
      return { 'm2m:rce': { ...wrap(node.ty, toWire(node)), uri } };
    case ResultContent.ModifiedAttributes:
      return wrap(node.ty, modifiedBy(toWire(node), requested));
    default:
      return wrap(node.ty, toWire(node));
  }
}

/** The `pc` for an UPDATE: nothing (0), attributes (1), or the modified attributes (9). */
export function updateResult(
  node: ResourceNode,
  rcn: number,
  modified: readonly string[],
): Content | undefined {
  if (rcn === ResultContent.Nothing) return undefined;
  const all = toWire(node);
  if (rcn === ResultContent.ModifiedAttributes)
    return wrap(node.ty, Object.fromEntries(modified.filter((k) => k in all).map((k) => [k, all[k]])));
  return wrap(node.ty, all);
}

/** Attributes whose value differs from what was requested (assigned or changed by the CSE). */
function modifiedBy(
  all: Readonly<Record<string, unknown>>,
  requested: Readonly<Record<string, unknown>>,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(all)) {
    if (JSON.stringify(requested[k]) !== JSON.stringify(v)) out[k] = v;
  }
  return out;
}

/** True for the types whose resource carries a stateTag. */
export function hasStateTag(ty: number): boolean {
  return ty === ResourceType.Container || ty === ResourceType.ContentInstance;
}
