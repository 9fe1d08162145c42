/**
 * How resources leave the tree: DELETE, eviction, deregistration and expiry alike remove the
 * resource with its descendants, run each type's clean-up, emit `deleted` events (with the
 * structured path they had) and notify subscribers (`net` 2 on the resource, 4 on its parent).
 * Expiry (`et`, TS-0001 9.6.1.3) is swept lazily, before each request, only once something is due.
 */
import type { CseContext } from './context.js';
import { resourceEvent, type HandlerTable } from './operations.js';
import type { ResourceNode } from './tree.js';

export class ResourceLifecycle {
  private nextExpiryMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly ctx: () => CseContext,
    private readonly handlers: () => HandlerTable,
  ) {}

  /** Notes that something expires at `etMs`. */
  scheduleExpiry(etMs: number): void {
    this.nextExpiryMs = Math.min(this.nextExpiryMs, etMs);
  }

  /** Removes `node` and its descendants; returns what was removed. */
  delete(node: ResourceNode, originator: string | undefined): ResourceNode[] {
    const c = this.ctx();
    const { tree } = c;
    if (!tree.has(node.ri)) return [];
    const parent = tree.parent(node);
    const paths = new Map<string, string>();
    const walk = (n: ResourceNode): void => {
      paths.set(n.ri, tree.structuredPath(n));
      for (const child of tree.children(n)) walk(child);
    };
    walk(node);
    c.notifier.deleted(c, node);
    const removed = tree.remove(node);
    for (const r of removed) {
      const p = r.pi === undefined ? undefined : tree.get(r.pi);
      this.handlers()[r.ty]?.afterDelete?.(c, r, p);
      const event = resourceEvent(c, 'deleted', r, originator);
      c.events.emit('resource', { ...event, path: paths.get(r.ri) ?? event.path });
    }
    if (parent) c.notifier.childDeleted(c, parent, node);
    return removed;
  }

  /** Removes every resource whose `et` has passed; cheap unless something is due. */
  sweep(nowMs: number): void {
    if (nowMs < this.nextExpiryMs) return;
    const c = this.ctx();
    for (const n of [...c.tree.all()]) {
      if (n.meta.etMs !== undefined && n.meta.etMs <= nowMs && c.tree.has(n.ri)) {
        c.logger.info('resource expired', { ri: n.ri, et: n.attrs.et });
        this.delete(n, undefined);
      }
    }
    let next = Number.POSITIVE_INFINITY;
    for (const n of c.tree.all()) if (n.meta.etMs !== undefined) next = Math.min(next, n.meta.etMs);
    this.nextExpiryMs = next;
  }
}
