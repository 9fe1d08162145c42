/**
 * Registration rules: which connection speaks for which originator (TS-0020 clause 7: before
 * registration the registrar rejects the client's other primitives; after it, it routes
 * primitives for the registree over that connection), and how AE-IDs are assigned
 * (TS-0001 10.2.2.2, onem2m-reference section 4).
 */
import { randomBytes } from 'node:crypto';
import { Operation, ResourceType, Rsc } from '../protocol/codes.js';
import type { RequestPrimitive } from '../protocol/primitive.js';
import { refuse } from './errors.js';
import type { RequestContext } from './context.js';
import type { ResourceTree } from './tree.js';

/** Which originators are bound to which connection. One connection per originator; the newest wins. */
export class Attachments {
  private readonly byConnection = new Map<string, Set<string>>();
  private readonly byOriginator = new Map<string, string>();

  /** Binds `originator` to `connectionId`; returns false if it already was bound there. */
  attach(originator: string, connectionId: string): boolean {
    const old = this.byOriginator.get(originator);
    if (old === connectionId) return false;
    if (old !== undefined) this.byConnection.get(old)?.delete(originator);
    this.byOriginator.set(originator, connectionId);
    let set = this.byConnection.get(connectionId);
    if (!set) this.byConnection.set(connectionId, (set = new Set()));
    set.add(originator);
    return true;
  }

  /** Forgets a closed connection; returns the originators that were bound to it. */
  detachConnection(connectionId: string): string[] {
    const set = this.byConnection.get(connectionId);
    this.byConnection.delete(connectionId);
    if (!set) return [];
    for (const o of set) if (this.byOriginator.get(o) === connectionId) this.byOriginator.delete(o);
    return [...set];
  }

  /** Forgets an originator (deregistration). */
  detachOriginator(originator: string): void {
    const c = this.byOriginator.get(originator);
    if (c !== undefined) this.byConnection.get(c)?.delete(originator);
    this.byOriginator.delete(originator);
  }

  connectionOf(originator: string): string | undefined {
    return this.byOriginator.get(originator);
  }

  originatorsOn(connectionId: string): readonly string[] {
    return [...(this.byConnection.get(connectionId) ?? [])];
  }
}

/** True for a CREATE of `<AE>` or `<remoteCSE>`, the requests allowed before registration. */
export function isRegistrationCreate(req: RequestPrimitive): boolean {
  return req.op === Operation.Create && (req.ty === ResourceType.AE || req.ty === ResourceType.RemoteCSE);
}

/** True if `originator` is registered here: an `<AE>` with that `ri`, or a `<remoteCSE>` with that `csi`. */
export function isRegistered(tree: ResourceTree, originator: string): boolean {
  return findRegistration(tree, originator) !== undefined;
}

/** The `ri` of the `<AE>` or `<remoteCSE>` registered for `originator`, if any. */
export function findRegistration(tree: ResourceTree, originator: string): string | undefined {
  const ae = tree.get(originator);
  if (ae?.ty === ResourceType.AE) return ae.ri;
  for (const csr of tree.children(tree.root, ResourceType.RemoteCSE))
    if (csr.attrs.csi === originator) return csr.ri;
  return undefined;
}

/**
 * Decides whether a request may be served on its connection, binding the connection to the
 * originator where that is how the registrar learns who is on it. Throws 4103 otherwise.
 * - Standard (TS-0020): a connection that nothing registered on yet accepts only registration,
 *   or a request whose `fr` is already registered here (a reconnect: closing does not deregister),
 *   which binds it. A bound connection accepts its own originators, and anything a remote CSE
 *   relays for its registrees.
 * - ACME (`originHeaderIdentification`): without `X-M2M-Origin` only registration; with it,
 *   only requests whose `fr` is that originator.
 * Returns the originator to bind to the connection, if any.
 */
export function checkConnectionAccess(
  req: RequestPrimitive,
  originator: string | undefined,
  rctx: RequestContext,
  deps: {
    readonly tree: ResourceTree;
    readonly attachments: Attachments;
    readonly originHeaderIdentification: boolean;
    readonly normalize: (fr: string) => string;
  },
): string | undefined {
  const conn = rctx.connectionId;
  if (conn === undefined || isRegistrationCreate(req)) return undefined;
  if (deps.originHeaderIdentification) {
    if (rctx.identifiedAs === undefined)
      throw refuse(
        Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
        'this connection did not identify itself (X-M2M-Origin): only <AE> CREATE is served',
      );
    if (originator !== deps.normalize(rctx.identifiedAs))
      throw refuse(
        Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
        `fr ${req.fr ?? '(none)'} is not the originator this connection identified as`,
      );
    return isRegistered(deps.tree, originator) ? originator : undefined;
  }
  if (originator === undefined)
    throw refuse(Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, 'request without fr on a registree connection');
  const bound = deps.attachments.originatorsOn(conn);
  if (bound.length === 0) {
    if (isRegistered(deps.tree, originator)) return originator;
    throw refuse(
      Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
      `${originator} is not registered: register first (TS-0020)`,
    );
  }
  if (bound.includes(originator)) return undefined;
  // A remote CSE relays requests of the AEs registered with it (their fr is not its CSE-ID).
  if (bound.some((o) => o.startsWith('/'))) return undefined;
  throw refuse(
    Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
    `fr ${originator} is not the originator registered on this connection`,
  );
}

/** App-ID rule: `N...` non-registered, `R...` registered (`r` tolerated, R3). Else 4000. */
export function checkAppId(api: string): void {
  if (!/^[NRr]/.test(api))
    throw refuse(Rsc.BAD_REQUEST, `api ${api} must start with N (non-registered) or R (registered)`);
}

/**
 * The AE-ID stem for a registration (TS-0001 10.2.2.2): `C` or absent asks the registrar for a
 * C-stem, `S` for an S-stem; a longer `C...`/`S...` is a requested (earlier or pre-provisioned)
 * stem, accepted unless it is registered (4117). Anything else is not an AE-ID stem (4000).
 */
export function assignAeId(
  originator: string | undefined,
  tree: ResourceTree,
  random: () => string = () => randomBytes(6).toString('hex'),
): string {
  if (originator === undefined || originator === '' || originator === 'C' || originator === 'S') {
    const prefix = originator === 'S' ? 'S' : 'C';
    for (;;) {
      const stem = `${prefix}${random()}`;
      if (!tree.has(stem)) return stem;
    }
  }
  if (!/^[CS][A-Za-z0-9_.\-~]*$/.test(originator))
    throw refuse(Rsc.BAD_REQUEST, `fr ${originator} is not an AE-ID stem (C... or S...)`);
  if (tree.get(originator)?.ty === ResourceType.AE)
    throw refuse(Rsc.ORIGINATOR_HAS_ALREADY_REGISTERED, `originator ${originator} has already registered`);
  if (tree.has(originator)) throw refuse(Rsc.CONFLICT, `resource id ${originator} is already in use`);
  return originator;
}
