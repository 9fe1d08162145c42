/**
 * The resource tree of the in-memory CSE: nodes indexed by resource id (`ri`, unstructured
 * addressing) and by parent + resource name (`rn`, structured addressing). Children keep their
 * creation order, which is what `la`/`ol` and "oldest removed first" rely on.
 */

/** Bookkeeping kept beside a resource and never sent on the wire. */
export interface ResourceMeta {
  /** Originator of the CREATE. */
  creator?: string;
  /** `rvi` of the CREATE (used for the notifications a subscription sends). */
  rvi?: string;
  /** Expiration time in epoch ms (mirrors `et`). */
  etMs?: number;
}

/** One resource. `attrs` holds what goes on the wire besides `rn`, `ty`, `ri` and `pi`. */
export interface ResourceNode {
  readonly ty: number;
  readonly ri: string;
  readonly rn: string;
  /** Parent resource id; undefined for the CSEBase. */
  readonly pi: string | undefined;
  attrs: Record<string, unknown>;
  /** Child resource ids, oldest first. */
  readonly children: string[];
  readonly meta: ResourceMeta;
}

/** The tree; the CSEBase is its root. */
export class ResourceTree {
  private readonly byRiMap = new Map<string, ResourceNode>();
  private readonly byName = new Map<string, string>();

  constructor(readonly root: ResourceNode) {
    this.byRiMap.set(root.ri, root);
  }

  /** The resource with this `ri`, if any. */
  get(ri: string): ResourceNode | undefined {
    return this.byRiMap.get(ri);
  }

  has(ri: string): boolean {
    return this.byRiMap.has(ri);
  }

  /** The child of `parent` named `rn`, if any. */
  child(parent: ResourceNode, rn: string): ResourceNode | undefined {
    const ri = this.byName.get(nameKey(parent.ri, rn));
    return ri === undefined ? undefined : this.byRiMap.get(ri);
  }

  parent(node: ResourceNode): ResourceNode | undefined {
    return node.pi === undefined ? undefined : this.byRiMap.get(node.pi);
  }

  /** Children of `node`, oldest first, optionally only those of type `ty`. */
  children(node: ResourceNode, ty?: number): ResourceNode[] {
    const out: ResourceNode[] = [];
    for (const ri of node.children) {
      const c = this.byRiMap.get(ri);
      if (c && (ty === undefined || c.ty === ty)) out.push(c);
    }
    return out;
  }

  /** Adds `node` under its parent (`node.pi`); the caller has checked `ri` and `rn` are free. */
  add(node: ResourceNode): void {
    if (node.pi === undefined) throw new Error('only the root has no parent');
    const parent = this.byRiMap.get(node.pi);
    if (!parent) throw new Error(`parent ${node.pi} does not exist`);
    if (this.byRiMap.has(node.ri)) throw new Error(`ri ${node.ri} already used`);
    this.byRiMap.set(node.ri, node);
    this.byName.set(nameKey(parent.ri, node.rn), node.ri);
    parent.children.push(node.ri);
  }

  /** Removes `node` and its descendants; returns them, descendants before ancestors. */
  remove(node: ResourceNode): ResourceNode[] {
    if (node === this.root) throw new Error('the CSEBase cannot be removed');
    const removed: ResourceNode[] = [];
    const walk = (n: ResourceNode): void => {
      for (const c of this.children(n)) walk(c);
      removed.push(n);
      this.byRiMap.delete(n.ri);
      if (n.pi !== undefined) this.byName.delete(nameKey(n.pi, n.rn));
    };
    walk(node);
    const parent = this.parent(node);
    if (parent) {
      const i = parent.children.indexOf(node.ri);
      if (i >= 0) parent.children.splice(i, 1);
    }
    return removed;
  }

  /** Structured CSE-relative address, `cse-in/myAE/temp`. */
  structuredPath(node: ResourceNode): string {
    const names: string[] = [];
    for (let n: ResourceNode | undefined = node; n; n = this.parent(n)) names.push(n.rn);
    return names.reverse().join('/');
  }

  /** Every resource, in no particular order. */
  all(): IterableIterator<ResourceNode> {
    return this.byRiMap.values();
  }

  get size(): number {
    return this.byRiMap.size;
  }
}

function nameKey(parentRi: string, rn: string): string {
  return `${parentRi}\u0000${rn}`;
}
