/**
 * `<AE>` (ty 2): registration of an application entity (TS-0001 10.2.2.2). The `ri` is the
 * AE-ID stem, returned in `aei`; the registering connection is bound to it. Deleting the `<AE>`
 * deregisters it.
 */
import { ResourceType, Rsc } from '../protocol/codes.js';
import { AE_POLICY } from './attributes.js';
import type { CseContext, CreateInput, Prepared, TypeHandler } from './context.js';
import { refuse } from './errors.js';
import { assignAeId, checkAppId } from './registration.js';
import type { ResourceNode } from './tree.js';

/** Options of the AE handler (injectable randomness for the assigned stems). */
export interface AeHandlerOptions {
  readonly randomStem?: () => string;
}

/** Builds the `<AE>` handler. */
export function aeHandler(opts: AeHandlerOptions = {}): TypeHandler {
  return {
    ty: ResourceType.AE,
    short: 'ae',
    policy: AE_POLICY,
    parents: [ResourceType.CSEBase],
    updatable: true,
    prepareCreate(c: CseContext, input: CreateInput): Prepared {
      const { attrs } = input;
      // Mobius 2.4 on MariaDB: the csz array goes into its SQL unquoted (ER_PARSE_ERROR).
      if (c.quirks.failOnCsz && attrs.csz !== undefined)
        throw refuse(Rsc.INTERNAL_SERVER_ERROR, '[create_action] create resource error');
      checkAppId(attrs.api as string);
      checkSrv(attrs.srv);
      // TS-0001 10.2.2.2: a stem with an active registration is refused (4117) before any name
      // clash (4105, checked by the CREATE flow) is looked at.
      const stem = assignAeId(input.originator, c.tree, opts.randomStem);
      return { ri: stem, attrs: { ...attrs, aei: stem }, defaultRn: stem };
    },
    afterCreate(c: CseContext, node: ResourceNode, input: CreateInput): void {
      const conn = input.rctx.connectionId;
      if (conn !== undefined && c.attachments.attach(node.ri, conn))
        c.events.emit('attached', { originator: node.ri, connectionId: conn });
    },
    checkUpdate(_c: CseContext, _node: ResourceNode, changes: Readonly<Record<string, unknown>>): void {
      if (changes.srv !== undefined) checkSrv(changes.srv);
    },
    afterDelete(c: CseContext, node: ResourceNode): void {
      c.attachments.detachOriginator(node.ri);
    },
  };
}

/** `srv` (supportedReleaseVersions) must list at least one release. */
export function checkSrv(srv: unknown): void {
  if (!Array.isArray(srv) || srv.length === 0)
    throw refuse(Rsc.BAD_REQUEST, 'srv must list the supported release versions');
}
