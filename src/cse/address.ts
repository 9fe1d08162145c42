/**
 * Addressing (TS-0001 9.3.1, onem2m-reference section 4): the `to` of a request in any of its forms
 * resolved against the resource tree.
 * - scopes: CSE-relative `cse-in/ae/cnt`, SP-relative `/id-in/cse-in/ae/cnt`, absolute
 *   `//sp.example/id-in/cse-in/ae/cnt` (any SP-ID is taken as ours: the registrar has no SP);
 * - structured (first segment the CSEBase name, or `-` for it) or unstructured (`ri`, optionally
 *   followed by structured names: liberal);
 * - a CSE-ID alone (`/id-in`) is the CSEBase; another CSE-ID is a remote target (forwarded);
 *   `/Sxyz` (SP-relative S-AE-ID) is the `<AE>` of that stem;
 * - `#attr` selects one attribute; `la`/`ol` as the last segment under a container are its
 *   latest/oldest `<contentInstance>`.
 */
import { ResourceType, Rsc } from '../protocol/codes.js';
import { refuse } from './errors.js';
import type { ResourceNode, ResourceTree } from './tree.js';

/** A `to` taken apart, before looking anything up. */
export interface ParsedAddress {
  /** SP-relative CSE-ID when the address named one (`/id-in`), else undefined (CSE-relative). */
  readonly cseId: string | undefined;
  /** Path segments after the CSE-ID (or the whole CSE-relative path). */
  readonly segments: readonly string[];
  /** The attribute after `#`, if any. */
  readonly attribute: string | undefined;
}

/** Where a request goes. */
export type Target =
  | {
      readonly kind: 'local';
      readonly node: ResourceNode;
      /** Set when the address ended in `la` / `ol`; `node` is then the container. */
      readonly virtual?: 'la' | 'ol';
      readonly attribute?: string;
    }
  | { readonly kind: 'remote'; readonly cseId: string };

/** Splits `to` into scope, segments and attribute; throws 4000 for what is not an address at all. */
export function parseAddress(to: string): ParsedAddress {
  let rest = to.trim();
  let attribute: string | undefined;
  const hash = rest.indexOf('#');
  if (hash >= 0) {
    attribute = rest.slice(hash + 1);
    rest = rest.slice(0, hash);
    if (attribute === '') throw refuse(Rsc.BAD_REQUEST, `empty attribute name in "${to}"`);
  }
  if (rest.startsWith('//')) {
    // Absolute: drop the SP-ID, keep the SP-relative remainder.
    const slash = rest.indexOf('/', 2);
    if (slash < 0) throw refuse(Rsc.BAD_REQUEST, `absolute address "${to}" names no CSE`);
    rest = rest.slice(slash);
  }
  if (rest.startsWith('/')) {
    const parts = rest.slice(1).split('/');
    const first = parts[0] ?? '';
    if (first === '') throw refuse(Rsc.BAD_REQUEST, `address "${to}" names no CSE`);
    return { cseId: `/${first}`, segments: clean(parts.slice(1), to), attribute };
  }
  if (rest === '') throw refuse(Rsc.BAD_REQUEST, 'empty to');
  return { cseId: undefined, segments: clean(rest.split('/'), to), attribute };
}

function clean(segments: string[], to: string): string[] {
  // A trailing slash is tolerated; an empty segment inside the path is not an address.
  const out = segments.length > 0 && segments[segments.length - 1] === '' ? segments.slice(0, -1) : segments;
  if (out.some((s) => s === '')) throw refuse(Rsc.BAD_REQUEST, `empty path segment in "${to}"`);
  return out;
}

/** What the resolver needs to know about the local CSE. */
export interface AddressContext {
  readonly tree: ResourceTree;
  /** Our SP-relative CSE-ID, `/id-in`. */
  readonly cseId: string;
  /** Our CSEBase resource name, `cse-in`. */
  readonly cseName: string;
  /** True when `cseId` is a registered remote CSE that requests can be forwarded to. */
  readonly isRemoteCse: (cseId: string) => boolean;
}

/** Resolves `to`; throws 4004 when nothing is there. */
export function resolveAddress(to: string, ctx: AddressContext): Target {
  const parsed = parseAddress(to);
  let segments = [...parsed.segments];
  if (parsed.cseId !== undefined && parsed.cseId !== ctx.cseId) {
    const stem = parsed.cseId.slice(1);
    const ae = ctx.tree.get(stem);
    if (ae?.ty === ResourceType.AE) {
      segments = [stem, ...segments];
    } else if (ctx.isRemoteCse(parsed.cseId)) {
      return { kind: 'remote', cseId: parsed.cseId };
    } else {
      throw refuse(Rsc.NOT_FOUND, `unknown CSE-ID or AE-ID ${parsed.cseId}`);
    }
  }
  const { tree } = ctx;
  let node: ResourceNode;
  let walk: string[];
  const first = segments[0];
  if (first === undefined) {
    node = tree.root;
    walk = [];
  } else if (first === ctx.cseName || first === '-') {
    node = tree.root;
    walk = segments.slice(1);
  } else {
    const found = tree.get(first);
    if (!found) throw refuse(Rsc.NOT_FOUND, `no resource ${first}`);
    node = found;
    walk = segments.slice(1);
  }
  for (let i = 0; i < walk.length; i++) {
    const name = walk[i] ?? '';
    const isLast = i === walk.length - 1;
    if (isLast && (name === 'la' || name === 'ol') && node.ty === ResourceType.Container) {
      return withAttribute({ kind: 'local', node, virtual: name }, parsed.attribute);
    }
    const next = tree.child(node, name);
    if (!next) throw refuse(Rsc.NOT_FOUND, `no resource ${name} under ${tree.structuredPath(node)}`);
    node = next;
  }
  return withAttribute({ kind: 'local', node }, parsed.attribute);
}

function withAttribute(t: Target & { kind: 'local' }, attribute: string | undefined): Target {
  return attribute === undefined ? t : { ...t, attribute };
}

/**
 * The AE-ID stem or CSE-ID an originator names, in the form used as a key: `/id-in/Cabc`,
 * `//sp/id-in/Cabc` and `Cabc` are all `Cabc` when `/id-in` is ours; `/Sabc` is `Sabc`;
 * another CSE-ID stays `/id-asn`.
 */
export function normalizeOriginator(fr: string, ownCseId: string): string {
  let s = fr.trim();
  if (s.startsWith('//')) {
    const slash = s.indexOf('/', 2);
    s = slash < 0 ? s : s.slice(slash);
  }
  if (s.startsWith(`${ownCseId}/`)) return s.slice(ownCseId.length + 1);
  const m = /^\/(S[^/]*)$/.exec(s);
  if (m?.[1] !== undefined) return m[1];
  return s;
}
