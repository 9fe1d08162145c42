/**
 * What the per-type handlers and operation flows share: the tree, identity of the CSE, clock,
 * quirks, connection bindings and the notifier. Kept as an interface so that handlers can be
 * tested without the `Cse` front door.
 */
import type { RequestPrimitive } from '../protocol/primitive.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import type { AttributePolicy } from './attributes.js';
import type { Attachments } from './registration.js';
import type { Quirks } from './quirks.js';
import type { ResourceNode, ResourceTree } from './tree.js';
import type { CseEvents } from './events.js';
import type { EventEmitter } from 'node:events';
import type { Notifier } from './notifier.js';

/** Where a request came from. Without `connectionId` (in-process calls) no connection rule applies. */
export interface RequestContext {
  /** The transport connection the request arrived on. */
  readonly connectionId?: string;
  /** The originator the connection identified itself as (`X-M2M-Origin` handshake header). */
  readonly identifiedAs?: string;
}

export interface CseContext {
  readonly tree: ResourceTree;
  /** SP-relative CSE-ID, `/id-in`. */
  readonly cseId: string;
  /** CSEBase resource name, `cse-in`. */
  readonly cseName: string;
  /** `cst`: 1 IN, 2 MN, 3 ASN. */
  readonly cseType: number;
  readonly clock: Clock;
  readonly quirks: Quirks;
  readonly logger: Logger;
  readonly attachments: Attachments;
  readonly notifier: Notifier;
  readonly events: EventEmitter<CseEvents>;
  /** Current time as a oneM2M timestamp. */
  now(): string;
  /** Epoch ms as a oneM2M timestamp. */
  formatTime(ms: number): string;
  /** Makes sure a resource expiring at `etMs` is removed once that time has passed. */
  scheduleExpiry(etMs: number): void;
  /** A fresh unstructured resource id, `<prefix><random>`, unused in the tree. */
  newRi(prefix: string): string;
  /** Removes a resource and its descendants, with notifications and events. */
  deleteResource(node: ResourceNode, originator: string | undefined): ResourceNode[];
}

/** A CREATE after the front door's checks: target resolved, content validated against the policy. */
export interface CreateInput {
  readonly req: RequestPrimitive;
  /** `fr` normalized (`/id-in/Cabc` → `Cabc`), undefined if absent. */
  readonly originator: string | undefined;
  readonly parent: ResourceNode;
  /** The requested resource name, if any. */
  readonly rn: string | undefined;
  /** The attributes under `m2m:<type>` except `rn` (already checked against the policy). */
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly rctx: RequestContext;
}

/** What a handler decides at CREATE: its type attributes, and the `ri` when the type dictates it. */
export interface Prepared {
  readonly attrs: Record<string, unknown>;
  readonly ri?: string;
  /** Resource name to use when the request gave none (default: the `ri`). */
  readonly defaultRn?: string;
  /** Resource name the registrar imposes, whatever the request asked (ACME's `<remoteCSE>`). */
  readonly rn?: string;
}

/** One resource type: its policy, where it may live, and its rules. */
export interface TypeHandler {
  readonly ty: number;
  /** Short name, as in `m2m:<short>`. */
  readonly short: string;
  readonly policy: AttributePolicy;
  /** Resource types it may be created under. */
  readonly parents: readonly number[];
  /** The `<short>` of `m2m:<short>` in a request's content when the type has several (mgmtObj), else `short`. */
  contentShort?(pc: RequestPrimitive['pc']): string | undefined;
  /** False when UPDATE is not allowed (4005), as for `<contentInstance>`. */
  readonly updatable: boolean;
  /** Checks the type's own rules; may refuse with a status code. */
  prepareCreate(c: CseContext, input: CreateInput): Promise<Prepared> | Prepared;
  /** After the node is in the tree (bookkeeping on the parent, bindings). */
  afterCreate?(c: CseContext, node: ResourceNode, input: CreateInput): void;
  /** Type rules for an UPDATE's attributes (already policy-checked), before they are applied. */
  checkUpdate?(c: CseContext, node: ResourceNode, changes: Readonly<Record<string, unknown>>): void;
  /** After the node (and its descendants) left the tree. */
  afterDelete?(c: CseContext, node: ResourceNode, parent: ResourceNode | undefined): void;
}

/** What a type with one attribute check for CREATE and UPDATE needs to say. */
export interface CheckedTypeSpec {
  readonly ty: number;
  readonly short: string;
  readonly policy: AttributePolicy;
  readonly parents: readonly number[];
  /** The type's own rules for the attributes given (at CREATE, or the changes of an UPDATE). */
  readonly check: (attrs: Readonly<Record<string, unknown>>, parent: ResourceNode | undefined) => void;
  /** Attributes the CSE sets at CREATE. */
  readonly initialAttrs?: Readonly<Record<string, unknown>>;
}

/** The handler of an updatable type whose CREATE and UPDATE run the same check. */
export function checkedTypeHandler({ check, initialAttrs, ...type }: CheckedTypeSpec): TypeHandler {
  return {
    ...type,
    updatable: true,
    prepareCreate(_c: CseContext, input: CreateInput): Prepared {
      check(input.attrs, input.parent);
      return { attrs: { ...input.attrs, ...initialAttrs } };
    },
    checkUpdate(c: CseContext, node: ResourceNode, changes: Readonly<Record<string, unknown>>): void {
      check(changes, c.tree.parent(node));
    },
  };
}
