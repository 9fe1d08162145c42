/**
 * Who may do what in the agent's ASN-CSE. There are no `<accessControlPolicy>` resources here;
 * the rules are fixed and small:
 * - trusted originators (the registrar's CSE-ID, always, and `trustedOriginators`) may RETRIEVE
 *   anything, CREATE a `<contentInstance>` in an actuator's command container (a command), UPDATE
 *   a container's attributes (its limits, labels) and DELETE `<contentInstance>`s;
 * - any originator may RETRIEVE and DELETE what it created itself (resource ownership);
 * - the structure the agent owns (CSEBase, `<AE>`, containers, the registrar's `<remoteCSE>`) is
 *   never deleted from outside (the agent would only recreate it), and a reading container takes
 *   no contentInstance but the device's.
 * Everything else is 4103; operations this CSE does not serve at all are 5001.
 *
 * Originators are compared by their whole identity (`protocol/originator.ts`): a C-stem AE-ID
 * (`Cadmin`) is one registered with our registrar (`/id-in/Cadmin`), an S-stem (`Sxyz`) is SP-wide
 * (`/Sxyz`), and an absolute id keeps its SP-ID unless it is ours (`registrar.spId`), so
 * `//evil.example/id-in` is neither the registrar nor the owner of what `/id-in` created.
 */
import { Operation, ResourceType, Rsc } from '../../protocol/codes.js';
import type { RequestPrimitive } from '../../protocol/primitive.js';

/** The ASN-CSE trusts exactly as the ADN does (see agent/trust.ts). */
export { TrustPolicy as AsnTrust, canonicalOriginator } from '../trust.js';

/** What the decision needs to know about the target (the parent, for CREATE). */
export interface TargetInfo {
  /** Undefined when nothing is there (the CSE then answers 4004). */
  readonly ty: number | undefined;
  /** Canonical creator; undefined for resources the CSE holds by itself. */
  readonly creator: string | undefined;
  /** True when the target is an actuator's command container. */
  readonly commandContainer: boolean;
}

/** Allowed, or refused with a status code and a reason. */
export type Decision =
  { readonly allow: true } | { readonly allow: false; readonly rsc: number; readonly why: string };

const ALLOW: Decision = { allow: true };

function refuse(rsc: number, why: string): Decision {
  return { allow: false, rsc, why };
}

/** Decides one request; `trusted` and `originator` (canonical) come from `AsnTrust`. */
export function decide(
  req: Pick<RequestPrimitive, 'op' | 'ty'>,
  target: TargetInfo,
  trusted: boolean,
  originator: string | undefined,
): Decision {
  if (req.op === Operation.Notify)
    return refuse(Rsc.NOT_IMPLEMENTED, 'this ASN-CSE subscribes to nothing: NOTIFY is not served');
  if (req.op === Operation.Create && req.ty !== ResourceType.ContentInstance)
    return refuse(
      Rsc.NOT_IMPLEMENTED,
      'only <contentInstance> (a command in an actuator command container) can be created here',
    );
  const owner = originator !== undefined && target.creator === originator;
  if (!trusted && !(owner && (req.op === Operation.Retrieve || req.op === Operation.Delete)))
    return refuse(
      Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
      `originator ${originator ?? '(none)'} is not trusted by this agent`,
    );
  if (target.ty === undefined) return ALLOW; // the CSE answers 4004 (or 4000 for a bad address)
  switch (req.op) {
    case Operation.Retrieve:
      return ALLOW;
    case Operation.Create:
      return target.commandContainer
        ? ALLOW
        : refuse(
            Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
            'only the device writes into this resource; commands go to <device>/command',
          );
    case Operation.Update:
      // Containers: limits and labels are the operator's; a contentInstance is refused by the CSE (4005).
      return target.ty === ResourceType.Container || target.ty === ResourceType.ContentInstance
        ? ALLOW
        : refuse(Rsc.ORIGINATOR_HAS_NO_PRIVILEGE, 'this resource is owned by the agent');
    case Operation.Delete:
      return target.ty === ResourceType.ContentInstance && (trusted || owner)
        ? ALLOW
        : refuse(
            Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
            'this resource is owned by the agent, which would recreate it',
          );
    default:
      return refuse(Rsc.NOT_IMPLEMENTED, `operation ${String(req.op)} is not served here`);
  }
}
