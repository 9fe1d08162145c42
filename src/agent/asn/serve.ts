/**
 * Requests the registrar routes to the agent's ASN-CSE over the agent's own connection (TS-0020
 * clause 7: after registration the registrar sends the registree's primitives over it): the
 * binding's `onRequest`. Each is decided by `access.ts`, then handled by the local CSE, which
 * resolves the address (`/<own-cse-id>/...` in any form), applies `rcn` and `fc`, and answers
 * with the request's `rqi` and `rvi`. A command (a `<contentInstance>` in a command container)
 * is checked before it is stored and answered once the actuator has applied it.
 */
import type { RequestHandler } from '../../binding/ws/types.js';
import { Operation, ResourceType, Rsc } from '../../protocol/codes.js';
import { errorResponse, type RequestPrimitive, type ResponsePrimitive } from '../../protocol/primitive.js';
import { isPlainObject } from '../../protocol/validate.js';
import { parseCommand } from '../../drivers/command.js';
import type { Logger } from '../../util/log.js';
import { decide, type AsnTrust, type TargetInfo } from './access.js';
import type { AsnLocalCse } from './local-cse.js';

export interface AsnRequestHandlerOptions {
  readonly local: AsnLocalCse;
  readonly trust: AsnTrust;
  readonly logger: Logger;
}

/** The `onRequest` of the agent's connection in the ASN role. */
export function createAsnRequestHandler(
  o: AsnRequestHandlerOptions,
): (req: RequestPrimitive) => Promise<ResponsePrimitive> {
  return async (req) => {
    const originator = req.fr === undefined || req.fr === '' ? undefined : o.trust.canonical(req.fr);
    const trusted = o.trust.isTrusted(req.fr);
    const target = targetInfo(o, req);
    const decision = decide(req, target, trusted, originator);
    if (!decision.allow) {
      const fields = { fr: req.fr ?? '(none)', op: req.op, to: req.to, rsc: decision.rsc, why: decision.why };
      if (decision.rsc === Rsc.ORIGINATOR_HAS_NO_PRIVILEGE) o.logger.warn('routed request refused', fields);
      else o.logger.info('routed request refused', fields);
      return errorResponse(req, decision.rsc, decision.why);
    }
    if (req.op === Operation.Create && target.commandContainer) {
      const cin = req.pc?.['m2m:cin'];
      if (isPlainObject(cin) && parseCommand(cin.con) === undefined)
        return errorResponse(
          req,
          Rsc.CONTENTS_UNACCEPTABLE,
          'a command is 1/0, on/off, true/false or SenML with v or vb',
        );
    }
    const { rsp, failed } = await o.local.handle(req);
    if (failed.length > 0)
      return errorResponse(
        req,
        Rsc.INTERNAL_SERVER_ERROR,
        `command stored, but the actuator failed: ${failed.join('; ')}`,
      );
    o.logger.debug('routed request served', { fr: req.fr, op: req.op, to: req.to, rsc: rsp.rsc });
    return rsp;
  };
}

/** The target (the parent for CREATE) as the access rules see it. */
function targetInfo(o: AsnRequestHandlerOptions, req: RequestPrimitive): TargetInfo {
  const wire = o.local.resource(req.to);
  const ty = typeof wire?.ty === 'number' ? wire.ty : undefined;
  const ri = typeof wire?.ri === 'string' ? wire.ri : undefined;
  const creator = ri === undefined ? undefined : o.local.creatorOf(ri);
  // The agent's own AE-ID stem is ours (`/<own-cse-id>/<stem>`), not an AE of the registrar's.
  const canonicalCreator =
    creator === undefined
      ? undefined
      : creator === o.local.agentOriginator
        ? `${o.local.cse.cseId}/${creator}`
        : o.trust.canonical(creator);
  return {
    ty,
    creator: canonicalCreator,
    commandContainer:
      req.op === Operation.Create &&
      ty === ResourceType.Container &&
      ri !== undefined &&
      o.local.actuatorOf(ri) !== undefined,
  };
}

/**
 * The ASN role's `onRequest`: NOTIFYs to our CSE-ID itself (the `nu` of our subscriptions to the
 * reboot object and to `config`, device management) go to the agent's inbound handler, as in the
 * ADN role; everything else, NOTIFYs to resources below our CSEBase too, is a request routed to
 * the local CSE.
 */
export function withNotifications(
  cseId: string,
  notifications: RequestHandler,
  routed: RequestHandler,
): RequestHandler {
  return (req) => (req.op === Operation.Notify && req.to === cseId ? notifications(req) : routed(req));
}
