/**
 * `<remoteCSE>` (ty 16): registration of a CSE (an ASN- or MN-CSE) with this one (TS-0001
 * 10.2.2.3, onem2m-reference section 9). `fr` is the registree's SP-relative CSE-ID and `csi`
 * equals it; an AE-ID as `fr` is 4005; a CSE already registered is 4117 (ACME: 4105). An ASN-CSE
 * accepts no `<remoteCSE>` (4005). The `ri` is the CSE-ID without its slash, as ACME does, so
 * `id-asn` addresses the `<remoteCSE>` here while `/id-asn/...` is forwarded to that CSE.
 */
import { CseType, ResourceType, Rsc } from '../protocol/codes.js';
import { REMOTE_CSE_POLICY } from './attributes.js';
import { checkSrv } from './ae.js';
import type { CseContext, CreateInput, Prepared, TypeHandler } from './context.js';
import { refuse } from './errors.js';
import { resourceEvent } from './operations.js';
import { findRegistration } from './registration.js';
import type { ResourceNode } from './tree.js';

/** The `<remoteCSE>` handler. */
export const remoteCseHandler: TypeHandler = {
  ty: ResourceType.RemoteCSE,
  short: 'csr',
  policy: REMOTE_CSE_POLICY,
  parents: [ResourceType.CSEBase],
  updatable: true,
  prepareCreate(c: CseContext, input: CreateInput): Prepared {
    if (c.cseType === CseType.ASN)
      throw refuse(Rsc.OPERATION_NOT_ALLOWED, 'an ASN-CSE does not accept <remoteCSE> registration');
    const fr = input.originator;
    if (fr === undefined || fr === '') throw refuse(Rsc.BAD_REQUEST, 'fr must be the registering CSE-ID');
    if (!/^\/[^/]+$/.test(fr) || fr === c.cseId)
      throw refuse(
        Rsc.OPERATION_NOT_ALLOWED,
        `fr ${fr} is not a CSE-ID: only a CSE may create a <remoteCSE>`,
      );
    const allowed = c.quirks.allowedCsrOriginators;
    if (allowed !== 'any' && !allowed.includes(fr))
      throw refuse(
        Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
        `Originator for CSR/CSEBaseAnnc registration not found. Add "${fr}" to the configuration [cse.registration].allowedCSROriginators in the CSE's ini file to grant access for this originator.`,
      );
    const csi = input.attrs.csi;
    if (csi !== undefined && csi !== fr)
      throw refuse(Rsc.BAD_REQUEST, `csi ${JSON.stringify(csi)} must equal fr ${fr}`);
    checkSrv(input.attrs.srv);
    if (findRegistration(c.tree, fr) !== undefined)
      throw refuse(c.quirks.duplicateRemoteCseRsc, `CSE ${fr} has already registered`);
    const stem = fr.slice(1);
    if (c.quirks.remoteCseNamedAfterCsi)
      // ACME overwrites ri and rn with the CSE-ID: a clash with another resource is 4105.
      return { ri: stem, rn: stem, attrs: { ...input.attrs, csi: fr } };
    const ri = c.tree.has(stem) ? c.newRi('csr') : stem;
    return { ri, defaultRn: ri, attrs: { ...input.attrs, csi: fr } };
  },
  afterCreate(c: CseContext, node: ResourceNode, input: CreateInput): void {
    const conn = input.rctx.connectionId;
    const csi = node.attrs.csi as string;
    if (conn !== undefined && c.attachments.attach(csi, conn))
      c.events.emit('attached', { originator: csi, connectionId: conn });
  },
  checkUpdate(_c: CseContext, _node: ResourceNode, changes: Readonly<Record<string, unknown>>): void {
    if (changes.srv !== undefined) checkSrv(changes.srv);
  },
  afterDelete(c: CseContext, node: ResourceNode): void {
    if (typeof node.attrs.csi === 'string') c.attachments.detachOriginator(node.attrs.csi);
  },
};

/** What an ASN/MN-CSE records about its registrar (from a RETRIEVE of the registrar's `<CSEBase>`). */
export interface RegistrarRecord {
  /** The registrar's CSE-ID, `/id-in`. */
  readonly csi: string;
  /** The registrar's CSEBase, `/id-in/cse-in`. */
  readonly cb: string;
  readonly cst?: number;
  readonly poa?: readonly string[];
  readonly srv?: readonly string[];
  readonly csz?: readonly string[];
}

/**
 * Records the CSE this one registered with as a local `<remoteCSE>` (TS-0001 10.2.2.3: after
 * registering, the registree creates a `<remoteCSE>` for its registrar). Not a request, so an
 * ASN-CSE, which refuses `<remoteCSE>` CREATE from others (4005), can hold it. An earlier record
 * with the same `csi` is replaced.
 */
export function putRegistrarCse(c: CseContext, rec: RegistrarRecord): ResourceNode {
  for (const old of c.tree.children(c.tree.root, ResourceType.RemoteCSE))
    if (old.attrs.csi === rec.csi) c.deleteResource(old, undefined);
  const stem = rec.csi.replace(/^\//, '');
  const ri = c.tree.has(stem) || c.tree.child(c.tree.root, stem) ? c.newRi('csr') : stem;
  const now = c.now();
  const attrs: Record<string, unknown> = { ct: now, lt: now, csi: rec.csi, cb: rec.cb, rr: true };
  if (rec.cst !== undefined) attrs.cst = rec.cst;
  if (rec.poa !== undefined) attrs.poa = [...rec.poa];
  if (rec.srv !== undefined) attrs.srv = [...rec.srv];
  if (rec.csz !== undefined) attrs.csz = [...rec.csz];
  const node: ResourceNode = {
    ty: ResourceType.RemoteCSE,
    ri,
    rn: ri,
    pi: c.tree.root.ri,
    attrs,
    children: [],
    meta: {},
  };
  c.tree.add(node);
  c.events.emit('resource', resourceEvent(c, 'created', node, undefined));
  return node;
}
