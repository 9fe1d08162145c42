/**
 * Filter criteria (`fc`) on RETRIEVE: discovery (`fu` 1, an `m2m:uril` of matching descendants)
 * and conditional retrieval (`fu` 2, the default: the child resources that `rcn` 4/5/6/8 return
 * are the matching descendants). Semantics as in ACME (TS-0001 8.1.2, TS-0004 7.3.3.17):
 * - every condition given counts once; a list (`ty`, `lbl`, `cty`) matches when any member does;
 *   `fo` 1 (AND, default) needs all conditions, 2 (OR) one;
 * - `lvl` limits the depth (1 = direct children), `ofst` (1-based) and `lim` page the matches,
 *   walked depth first in creation order;
 * - with `rcn` 1 the target itself is returned as is (a filter selects children, not the target).
 * Members this CSE does not evaluate (`atr`, `smf`, `chty`, ...) are answered 5001, never ignored.
 */
import { Rsc, ResultContent } from '../protocol/codes.js';
import type { Content } from '../protocol/primitive.js';
import { parseOneM2MTime } from '../protocol/timestamp.js';
import { refuse } from './errors.js';
import { toWire, wrap, shortNameOf } from './result-content.js';
import type { ResourceNode, ResourceTree } from './tree.js';

/** A parsed `fc`: paging and usage, plus the conditions a resource must meet. */
export interface FilterCriteria {
  /** 1 discovery, 2 conditional retrieval. */
  readonly fu: 1 | 2;
  /** 1 AND, 2 OR. */
  readonly fo: 1 | 2;
  readonly lim: number;
  readonly lvl: number;
  /** 1-based index of the first match returned. */
  readonly ofst: number;
  readonly conditions: readonly ((node: ResourceNode) => boolean)[];
}

/** `fc` members that exist in TS-0004 but are not evaluated here (5001). */
const NOT_IMPLEMENTED = new Set([
  'clbl',
  'palb',
  'lbq',
  'chty',
  'pty',
  'atr',
  'catr',
  'patr',
  'arp',
  'smf',
  'cfs',
  'cfq',
  'gmty',
  'geom',
  'gsf',
  'aq',
]);

const COMPARISONS: Readonly<
  Record<string, { attr: string; kind: 'time' | 'int'; test: (a: number, b: number) => boolean }>
> = {
  crb: { attr: 'ct', kind: 'time', test: (a, b) => a < b },
  cra: { attr: 'ct', kind: 'time', test: (a, b) => a > b },
  ms: { attr: 'lt', kind: 'time', test: (a, b) => a > b },
  us: { attr: 'lt', kind: 'time', test: (a, b) => a < b },
  exb: { attr: 'et', kind: 'time', test: (a, b) => a < b },
  exa: { attr: 'et', kind: 'time', test: (a, b) => a > b },
  sts: { attr: 'st', kind: 'int', test: (a, b) => a < b },
  stb: { attr: 'st', kind: 'int', test: (a, b) => a > b },
  sza: { attr: 'cs', kind: 'int', test: (a, b) => a >= b },
  szb: { attr: 'cs', kind: 'int', test: (a, b) => a < b },
};

type Condition = (node: ResourceNode) => boolean;
type Settings = { -readonly [K in Exclude<keyof FilterCriteria, 'conditions'>]: FilterCriteria[K] };

/** Parses `fc`; 4000 for a malformed member, 5001 for one this CSE does not evaluate. */
export function parseFilterCriteria(fc: Readonly<Record<string, unknown>>): FilterCriteria {
  const conditions: Condition[] = [];
  const settings: Settings = {
    fu: 2,
    fo: 1,
    lim: Number.MAX_SAFE_INTEGER,
    lvl: Number.MAX_SAFE_INTEGER,
    ofst: 1,
  };
  for (const [key, value] of Object.entries(fc)) {
    if (NOT_IMPLEMENTED.has(key))
      throw refuse(Rsc.NOT_IMPLEMENTED, `filter criterion ${key} is not implemented here`);
    const condition = conditionOf(key, value);
    if (condition) conditions.push(condition);
    else applySetting(settings, key, value);
  }
  return { ...settings, conditions };
}

/** The condition a member sets (a comparison, `ty`, `lbl`, `cty`), or undefined for other members. */
function conditionOf(key: string, value: unknown): Condition | undefined {
  const cmp = COMPARISONS[key];
  if (cmp) {
    const bound = cmp.kind === 'time' ? timeOf(value, key) : intOf(value, key);
    return (n) => {
      const raw = n.attrs[cmp.attr];
      const v = cmp.kind === 'time' ? (typeof raw === 'string' ? parseOneM2MTime(raw) : undefined) : raw;
      return typeof v === 'number' && cmp.test(v, bound);
    };
  }
  switch (key) {
    case 'ty': {
      const tys = listOf(value, key, 'number');
      return (n) => tys.includes(n.ty);
    }
    case 'lbl': {
      const lbls = listOf(value, key, 'string');
      return (n) => {
        const lbl: unknown = n.attrs.lbl;
        return Array.isArray(lbl) && lbl.some((l: unknown) => typeof l === 'string' && lbls.includes(l));
      };
    }
    case 'cty': {
      const ctys = listOf(value, key, 'string');
      return (n) => {
        const cnf = n.attrs.cnf;
        // `cnf` is `type/subtype:encoding`; `cty` names the media type.
        return typeof cnf === 'string' && (ctys.includes(cnf) || ctys.includes(cnf.split(':')[0] ?? ''));
      };
    }
    default:
      return undefined;
  }
}

/** Usage, operation and paging members; any other member is not a filter criterion (4000). */
function applySetting(settings: Settings, key: string, value: unknown): void {
  switch (key) {
    case 'fu':
      if (value !== 1 && value !== 2)
        throw refuse(
          value === 3 ? Rsc.NOT_IMPLEMENTED : Rsc.BAD_REQUEST,
          `fu ${JSON.stringify(value)}: 1 (discovery) or 2 (conditional retrieval)`,
        );
      settings.fu = value;
      break;
    case 'fo':
      if (value !== 1 && value !== 2)
        throw refuse(Rsc.BAD_REQUEST, `fo ${JSON.stringify(value)}: 1 (AND) or 2 (OR)`);
      settings.fo = value;
      break;
    case 'lim':
      settings.lim = intOf(value, key);
      break;
    case 'lvl':
      settings.lvl = intOf(value, key);
      break;
    case 'ofst':
      settings.ofst = Math.max(1, intOf(value, key));
      break;
    default:
      throw refuse(Rsc.BAD_REQUEST, `${key} is not a filter criterion`);
  }
}

/** True when `node` meets the criteria (no conditions: everything matches). */
export function matchesFilter(node: ResourceNode, f: FilterCriteria): boolean {
  if (f.conditions.length === 0) return true;
  return f.fo === 2 ? f.conditions.some((c) => c(node)) : f.conditions.every((c) => c(node));
}

/** The matching descendants of `root` (not `root` itself), depth first, within `lvl`, paged. */
export function discover(tree: ResourceTree, root: ResourceNode, f: FilterCriteria): ResourceNode[] {
  const found: ResourceNode[] = [];
  const walk = (node: ResourceNode, depth: number): void => {
    if (depth > f.lvl) return;
    for (const child of tree.children(node)) {
      if (matchesFilter(child, f)) found.push(child);
      walk(child, depth + 1);
    }
  };
  walk(root, 1);
  return found.slice(f.ofst - 1, f.ofst - 1 + f.lim);
}

/**
 * The `pc` of a RETRIEVE with `fc`: discovery yields `m2m:uril` (structured CSE-relative ids, or
 * `ri`s with `drt` 2); conditional retrieval applies `rcn` to the matching descendants.
 */
export function filteredRepresentation(
  tree: ResourceTree,
  node: ResourceNode,
  rcn: number,
  f: FilterCriteria,
  drt: number | undefined,
): Content | undefined {
  const matched = discover(tree, node, f);
  if (f.fu === 1) return { 'm2m:uril': matched.map((n) => (drt === 2 ? n.ri : tree.structuredPath(n))) };
  const refs = (): Record<string, unknown>[] => matched.map((n) => ({ nm: n.rn, typ: n.ty, val: n.ri }));
  switch (rcn) {
    case ResultContent.Attributes:
      return wrap(node.ty, toWire(node));
    case ResultContent.AttributesAndChildResources:
      return wrap(node.ty, { ...toWire(node), ...nest(tree, node, matched) });
    case ResultContent.AttributesAndChildResourceReferences:
      return wrap(node.ty, { ...toWire(node), ch: refs() });
    case ResultContent.ChildResourceReferences:
      return { 'm2m:rrl': { rrf: refs() } };
    case ResultContent.ChildResources:
      return wrap(node.ty, nest(tree, node, matched));
    default:
      throw refuse(Rsc.NOT_IMPLEMENTED, `rcn ${rcn} with filter criteria is not implemented here`);
  }
}

/** Matched resources as a tree: each under its nearest matched ancestor, else under the target. */
function nest(
  tree: ResourceTree,
  root: ResourceNode,
  matched: readonly ResourceNode[],
): Record<string, unknown> {
  const bodies = new Map<string, Record<string, unknown>>([[root.ri, {}]]);
  for (const n of matched) bodies.set(n.ri, toWire(n));
  for (const n of matched) {
    let anchor = tree.parent(n);
    while (anchor && !bodies.has(anchor.ri)) anchor = tree.parent(anchor);
    const parentBody = bodies.get(anchor?.ri ?? root.ri) ?? {};
    const key = `m2m:${shortNameOf(n.ty, n.attrs.mgd)}`;
    const list = (parentBody[key] as unknown[] | undefined) ?? [];
    list.push(bodies.get(n.ri));
    parentBody[key] = list;
  }
  return bodies.get(root.ri) ?? {};
}

function intOf(v: unknown, key: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
    throw refuse(Rsc.BAD_REQUEST, `filter criterion ${key} must be a non-negative integer`);
  return v;
}

function timeOf(v: unknown, key: string): number {
  const ms = typeof v === 'string' ? parseOneM2MTime(v) : undefined;
  if (ms === undefined) throw refuse(Rsc.BAD_REQUEST, `filter criterion ${key} must be a timestamp`);
  return ms;
}

/** A list criterion; a single value is taken as a list of one (XML and some clients send that). */
function listOf<T extends 'number' | 'string'>(
  v: unknown,
  key: string,
  type: T,
): (T extends 'number' ? number : string)[] {
  const list = Array.isArray(v) ? v : [v];
  if (list.length === 0 || !list.every((x) => typeof x === type))
    throw refuse(Rsc.BAD_REQUEST, `filter criterion ${key} must be a list of ${type}s`);
  return list as (T extends 'number' ? number : string)[];
}
