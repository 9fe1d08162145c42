/**
 * `<container>` (ty 3): holds `<contentInstance>`s, with `cni`/`cbs` kept current and the limits
 * `mni` (instances), `mbs` (bytes) and `mia` (age, seconds) enforced by removing the oldest
 * instances first (TS-0001 9.6.6). `st` (stateTag) counts changes, child creations included.
 */
import { ResourceType } from '../protocol/codes.js';
import { parseOneM2MTime } from '../protocol/timestamp.js';
import { checkNonNegativeInt, CONTAINER_POLICY } from './attributes.js';
import { checkedTypeHandler, type CseContext, type TypeHandler } from './context.js';
import type { ResourceNode } from './tree.js';

/** The `<container>` handler. */
export const containerHandler: TypeHandler = checkedTypeHandler({
  ty: ResourceType.Container,
  short: 'cnt',
  policy: CONTAINER_POLICY,
  parents: [ResourceType.CSEBase, ResourceType.AE, ResourceType.Container, ResourceType.RemoteCSE],
  check: checkLimits,
  initialAttrs: { cni: 0, cbs: 0, st: 0 },
});

function checkLimits(attrs: Readonly<Record<string, unknown>>): void {
  checkNonNegativeInt(attrs.mni, 'mni');
  checkNonNegativeInt(attrs.mbs, 'mbs');
  checkNonNegativeInt(attrs.mia, 'mia');
}

/** The container's `<contentInstance>` children, oldest first. */
export function instances(c: CseContext, container: ResourceNode): ResourceNode[] {
  return c.tree.children(container, ResourceType.ContentInstance);
}

/** Latest (`la`) or oldest (`ol`) instance, if any. */
export function virtualInstance(
  c: CseContext,
  container: ResourceNode,
  which: 'la' | 'ol',
): ResourceNode | undefined {
  const all = instances(c, container);
  return which === 'la' ? all[all.length - 1] : all[0];
}

/**
 * Removes the oldest instances until `mni`, `mbs` (leaving room for `incomingBytes` more) and `mia`
 * hold. Called before an instance is added and after the limits change.
 */
export function enforceLimits(
  c: CseContext,
  container: ResourceNode,
  incoming = { count: 0, bytes: 0 },
): void {
  const mni = numberAttr(container, 'mni');
  const mbs = numberAttr(container, 'mbs');
  const mia = numberAttr(container, 'mia');
  const nowMs = c.clock.nowMs();
  for (const cin of instances(c, container)) {
    const cni = numberAttr(container, 'cni') ?? 0;
    const cbs = numberAttr(container, 'cbs') ?? 0;
    const tooMany = mni !== undefined && cni + incoming.count > mni;
    const tooBig = mbs !== undefined && cbs + incoming.bytes > mbs;
    const ct = typeof cin.attrs.ct === 'string' ? parseOneM2MTime(cin.attrs.ct) : undefined;
    const tooOld = mia !== undefined && ct !== undefined && nowMs - ct > mia * 1000;
    if (!tooMany && !tooBig && !tooOld) break;
    c.deleteResource(cin, undefined);
  }
}

/** Bookkeeping when an instance of `cs` bytes joins or leaves the container. */
export function accountInstance(container: ResourceNode, sign: 1 | -1, cs: number): void {
  container.attrs.cni = (numberAttr(container, 'cni') ?? 0) + sign;
  container.attrs.cbs = (numberAttr(container, 'cbs') ?? 0) + sign * cs;
}

/** Increments the stateTag of a resource that has one. */
export function bumpStateTag(node: ResourceNode): void {
  if (typeof node.attrs.st === 'number') node.attrs.st += 1;
}

function numberAttr(node: ResourceNode, name: string): number | undefined {
  const v = node.attrs[name];
  return typeof v === 'number' ? v : undefined;
}
