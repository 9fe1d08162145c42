/**
 * Requests the registrar sends us over the link. An ADN-AE hosts no resources, so the only
 * request it serves is NOTIFY: a new command for an actuator (TS-0004 7.5.1.2.x). Untrusted
 * originators get 4103 and change nothing; other operations get 4005.
 */
import { Operation, Rsc } from '../protocol/codes.js';
import {
  errorResponse,
  responseTo,
  type RequestPrimitive,
  type ResponsePrimitive,
} from '../protocol/primitive.js';
import { isPlainObject } from '../protocol/validate.js';
import { parseCommand } from '../drivers/command.js';
import type { ActuatorCommand } from '../drivers/types.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { TrustPolicy } from './trust.js';
import { COMMAND_CONTAINER_NAME } from './resources.js';

export interface InboundOptions {
  readonly trust: TrustPolicy;
  /** Names of actuator devices. */
  readonly actuators: readonly string[];
  /** Resource ids of command subscriptions / containers we created, by device. */
  readonly resourceIdsOf: (device: string) => readonly string[];
  readonly actuate: (device: string, cmd: ActuatorCommand) => Promise<void>;
  readonly logger: Logger;
  /** A subscription we own was deleted (`sud`): it must be recreated. */
  readonly onSubscriptionDeleted?: (device: string | undefined) => void;
}

export function createInboundHandler(
  o: InboundOptions,
): (req: RequestPrimitive) => Promise<ResponsePrimitive> {
  return async (req) => {
    if (!o.trust.isTrusted(req.fr)) {
      o.logger.warn('request from an untrusted originator refused', {
        fr: req.fr ?? '(none)',
        op: req.op,
        to: req.to,
      });
      return errorResponse(
        req,
        Rsc.ORIGINATOR_HAS_NO_PRIVILEGE,
        `originator ${req.fr ?? '(none)'} is not trusted by this agent`,
      );
    }
    if (req.op !== Operation.Notify) {
      return errorResponse(
        req,
        Rsc.OPERATION_NOT_ALLOWED,
        'an ADN-AE hosts no resources; only NOTIFY is accepted',
      );
    }
    const sgn = req.pc?.['m2m:sgn'];
    if (!isPlainObject(sgn)) return errorResponse(req, Rsc.BAD_REQUEST, 'NOTIFY without m2m:sgn');
    const sur = typeof sgn.sur === 'string' ? sgn.sur : '';
    const device = deviceFor(sur, o);
    if (sgn.vrq === true) return responseTo(req, Rsc.OK); // verification request: we did subscribe
    if (sgn.sud === true) {
      o.logger.warn('the registrar deleted our command subscription', { sur, device });
      o.onSubscriptionDeleted?.(device);
      return responseTo(req, Rsc.OK);
    }
    const nev = sgn.nev;
    const rep = isPlainObject(nev) ? nev.rep : undefined;
    const cin = isPlainObject(rep) ? rep['m2m:cin'] : undefined;
    if (!isPlainObject(cin)) return responseTo(req, Rsc.OK); // other events: nothing to do
    if (device === undefined) {
      o.logger.warn('notification for a subscription we do not know', { sur });
      return errorResponse(req, Rsc.NOT_FOUND, `no actuator for subscription ${sur}`);
    }
    const cmd = parseCommand(cin.con);
    if (cmd === undefined) {
      o.logger.warn('command not understood', { device, con: cin.con });
      return errorResponse(
        req,
        Rsc.CONTENTS_UNACCEPTABLE,
        'command must be 1/0, on/off, true/false or SenML v/vb',
      );
    }
    try {
      await o.actuate(device, cmd);
    } catch (err) {
      o.logger.error('actuator failed', { device, error: describeError(err) });
      return errorResponse(
        req,
        Rsc.INTERNAL_SERVER_ERROR,
        `actuator ${device} failed: ${describeError(err)}`,
      );
    }
    return responseTo(req, Rsc.OK);
  };
}

/** Finds the actuator a subscription reference belongs to: by resource id, else by path. */
function deviceFor(sur: string, o: InboundOptions): string | undefined {
  for (const d of o.actuators) {
    if (o.resourceIdsOf(d).some((ri) => ri !== '' && (sur === ri || sur.endsWith(`/${ri}`)))) return d;
  }
  for (const d of o.actuators) if (sur.includes(`/${d}/${COMMAND_CONTAINER_NAME}/`)) return d;
  return o.actuators.length === 1 && sur === '' ? o.actuators[0] : undefined;
}
