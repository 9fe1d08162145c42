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
  /** Our subscription to the reboot object (device management) and what to do when it fires. */
  readonly reboot?: RebootRequests;
  /** Our subscription to the `config` container (remote configuration) and what to do with a patch. */
  readonly config?: ConfigRequests;
}

export interface ConfigRequests {
  readonly subscriptionRi: () => string | undefined;
  /** A new contentInstance of `config`: its `con` (the patch, as JSON text). */
  readonly patch: (con: unknown) => void;
  readonly forget: () => void;
}

export interface RebootRequests {
  /** The `ri` of our subscription to the reboot object, once created. */
  readonly subscriptionRi: () => string | undefined;
  /** The registrar passed on an UPDATE naming `rbo`: restart the agent. */
  readonly restart: () => void;
  /** The subscription was deleted: forget it, so the next update creates it again. */
  readonly forget: () => void;
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
    if (sgn.vrq === true) return responseTo(req, Rsc.OK); // verification request: we did subscribe
    const rebootRi = o.reboot?.subscriptionRi();
    if (o.reboot && rebootRi && (sur === rebootRi || sur.endsWith(`/${rebootRi}`)))
      return rebootNotification(req, sgn, o.reboot, o.logger);
    const configRi = o.config?.subscriptionRi();
    if (o.config && configRi && (sur === configRi || sur.endsWith(`/${configRi}`)))
      return configNotification(req, sgn, o.config, o.logger);
    const device = deviceFor(sur, o);
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

/**
 * An UPDATE of the reboot object: `rbo` named (ACME shows it false, having reset it) restarts the
 * agent; `far` (factory reset) is refused: there is nothing on the board it could safely erase.
 */
function rebootNotification(
  req: RequestPrimitive,
  sgn: Record<string, unknown>,
  reboot: RebootRequests,
  log: Logger,
): ResponsePrimitive {
  if (sgn.sud === true) {
    log.warn('the registrar deleted our reboot subscription; it is created again at the next update');
    reboot.forget();
    return responseTo(req, Rsc.OK);
  }
  const nev = sgn.nev;
  const rep = isPlainObject(nev) ? nev.rep : undefined;
  const rbo = isPlainObject(rep) ? rep['m2m:rbo'] : undefined;
  if (!isPlainObject(rbo)) return responseTo(req, Rsc.OK);
  if ('far' in rbo) {
    log.warn('factory reset requested through the registrar: refused', { code: 'FACTORY_RESET_REFUSED' });
    return errorResponse(req, Rsc.OPERATION_NOT_ALLOWED, 'factory reset is not supported by this agent');
  }
  if (!('rbo' in rbo)) return responseTo(req, Rsc.OK);
  log.warn('restart requested through the registrar (reboot object); restarting the agent', {
    code: 'RESTART_REQUESTED',
  });
  // After this answer has gone out: the restart closes the link.
  setImmediate(() => {
    reboot.restart();
  });
  return responseTo(req, Rsc.OK);
}

/**
 * A new contentInstance of our `config` container: the patch is applied after this answer has gone
 * out (applying it restarts the agent in place); its outcome goes to `config-status`.
 */
function configNotification(
  req: RequestPrimitive,
  sgn: Record<string, unknown>,
  config: ConfigRequests,
  log: Logger,
): ResponsePrimitive {
  if (sgn.sud === true) {
    log.warn('the registrar deleted our config subscription; it is created again at the next update');
    config.forget();
    return responseTo(req, Rsc.OK);
  }
  const nev = sgn.nev;
  const rep = isPlainObject(nev) ? nev.rep : undefined;
  const cin = isPlainObject(rep) ? rep['m2m:cin'] : undefined;
  if (!isPlainObject(cin)) return responseTo(req, Rsc.OK);
  log.info('configuration patch received through the registrar', { code: 'REMOTE_CONFIG_RECEIVED' });
  setImmediate(() => {
    config.patch(cin.con);
  });
  return responseTo(req, Rsc.OK);
}

/** Finds the actuator a subscription reference belongs to: by resource id, else by path. */
function deviceFor(sur: string, o: InboundOptions): string | undefined {
  for (const d of o.actuators) {
    if (o.resourceIdsOf(d).some((ri) => ri !== '' && (sur === ri || sur.endsWith(`/${ri}`)))) return d;
  }
  for (const d of o.actuators) if (sur.includes(`/${d}/${COMMAND_CONTAINER_NAME}/`)) return d;
  return o.actuators.length === 1 && sur === '' ? o.actuators[0] : undefined;
}
