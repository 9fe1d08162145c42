/**
 * `<contentInstance>` (ty 4): an immutable reading under a `<container>` (no UPDATE: 4005,
 * TS-0001 9.6.7). `cs` is the content size in bytes; `st` copies the container's stateTag after
 * the creation. Adding one may remove the oldest siblings to keep the container's limits.
 */
import { Buffer } from 'node:buffer';
import { ResourceType, Rsc } from '../protocol/codes.js';
import { CONTENT_INSTANCE_POLICY } from './attributes.js';
import { accountInstance, bumpStateTag, enforceLimits } from './container.js';
import type { CseContext, CreateInput, Prepared, TypeHandler } from './context.js';
import { refuse } from './errors.js';
import type { ResourceNode } from './tree.js';

/** The `<contentInstance>` handler. */
export const contentInstanceHandler: TypeHandler = {
  ty: ResourceType.ContentInstance,
  short: 'cin',
  policy: CONTENT_INSTANCE_POLICY,
  parents: [ResourceType.Container],
  updatable: false,
  prepareCreate(_c: CseContext, input: CreateInput): Prepared {
    const cs = contentSize(input.attrs.con);
    const mbs = input.parent.attrs.mbs;
    // TS-0004 7.4.7: an instance larger than the container's maxByteSize cannot be stored.
    if (typeof mbs === 'number' && cs > mbs)
      throw refuse(Rsc.NOT_ACCEPTABLE, `content of ${cs} bytes exceeds the container's mbs ${mbs}`);
    return { attrs: { ...input.attrs, cs } };
  },
  afterCreate(c: CseContext, node: ResourceNode): void {
    const container = c.tree.parent(node);
    if (!container) return;
    accountInstance(container, 1, cs(node));
    bumpStateTag(container);
    node.attrs.st = container.attrs.st;
    enforceLimits(c, container);
  },
  afterDelete(_c: CseContext, node: ResourceNode, parent: ResourceNode | undefined): void {
    if (parent) accountInstance(parent, -1, cs(node));
  },
};

/** Content size as ACME counts it: UTF-8 bytes of a string, else of its JSON text. */
export function contentSize(con: unknown): number {
  const text = typeof con === 'string' ? con : JSON.stringify(con);
  return Buffer.byteLength(text, 'utf8');
}

function cs(node: ResourceNode): number {
  return typeof node.attrs.cs === 'number' ? node.attrs.cs : 0;
}
