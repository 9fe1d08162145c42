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
    const refused = refusal(req, o);
    if (refused) return refused;
    const sgn = req.pc?.['m2m:sgn'];
    if (!isPlainObject(sgn)) return errorResponse(req, Rsc.BAD_REQUEST, 'NOTIFY without m2m:sgn');
    if (sgn.vrq === true) return responseTo(req, Rsc.OK); // verification request: we did subscribe
    const sur = typeof sgn.sur === 'string' ? sgn.sur : '';
    if (isOurs(sur, o.reboot?.subscriptionRi()) && o.reboot)
      return subscriptionNotice(req, sgn, rebootNotice(o.reboot), o.logger);
    if (isOurs(sur, o.config?.subscriptionRi()) && o.config)
      return subscriptionNotice(req, sgn, configNotice(o.config), o.logger);
    return commandNotification(req, sgn, sur, o);
  };
}

/** Untrusted originators get 4103, operations other than NOTIFY 4005; undefined when it may go on. */
function refusal(req: RequestPrimitive, o: InboundOptions): ResponsePrimitive | undefined {
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
  return undefined;
}

/** True when the subscription reference `sur` names our subscription `ri` (bare or as a path). */
function isOurs(sur: string, ri: string | undefined): boolean {
  return ri !== undefined && ri !== '' && (sur === ri || sur.endsWith(`/${ri}`));
}

/** The resource `key` (`m2m:cin`, `m2m:rbo`) in the notification's event, if it carries one. */
function representation(sgn: Record<string, unknown>, key: string): Record<string, unknown> | undefined {
  const nev = sgn.nev;
  const rep = isPlainObject(nev) ? nev.rep : undefined;
  const resource = isPlainObject(rep) ? rep[key] : undefined;
  return isPlainObject(resource) ? resource : undefined;
}

/** A notification for an actuator's command container: a new command (or our subscription deleted). */
async function commandNotification(
  req: RequestPrimitive,
  sgn: Record<string, unknown>,
  sur: string,
  o: InboundOptions,
): Promise<ResponsePrimitive> {
  const device = deviceFor(sur, o);
  if (sgn.sud === true) {
    o.logger.warn('the registrar deleted our command subscription', { sur, device });
    o.onSubscriptionDeleted?.(device);
    return responseTo(req, Rsc.OK);
  }
  const cin = representation(sgn, 'm2m:cin');
  if (!cin) return responseTo(req, Rsc.OK); // other events: nothing to do
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
    return errorResponse(req, Rsc.INTERNAL_SERVER_ERROR, `actuator ${device} failed: ${describeError(err)}`);
  }
  return responseTo(req, Rsc.OK);
}

/** One of device management's subscriptions: what it carries, and what to do with it. */
interface SubscriptionNotice {
  /** For the log line when the registrar deleted the subscription. */
  readonly name: string;
  /** The resource the event carries (`m2m:rbo`, `m2m:cin`). */
  readonly resource: string;
  readonly forget: () => void;
  readonly apply: (
    req: RequestPrimitive,
    resource: Record<string, unknown>,
    log: Logger,
  ) => ResponsePrimitive;
}

/** A notification from a management subscription: deleted (forget it), or an event to apply. */
function subscriptionNotice(
  req: RequestPrimitive,
  sgn: Record<string, unknown>,
  notice: SubscriptionNotice,
  log: Logger,
): ResponsePrimitive {
  if (sgn.sud === true) {
    log.warn(`the registrar deleted our ${notice.name} subscription; it is created again at the next update`);
    notice.forget();
    return responseTo(req, Rsc.OK);
  }
  const resource = representation(sgn, notice.resource);
  return resource ? notice.apply(req, resource, log) : responseTo(req, Rsc.OK);
}

/**
 * An UPDATE of the reboot object: `rbo` named (ACME shows it false, having reset it) restarts the
 * agent; `far` (factory reset) is refused: there is nothing on the board it could safely erase.
 */
function rebootNotice(reboot: RebootRequests): SubscriptionNotice {
  return {
    name: 'reboot',
    resource: 'm2m:rbo',
    forget: reboot.forget,
    apply: (req, rbo, log) => {
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
    },
  };
}

/**
 * A new contentInstance of our `config` container: the patch is applied after this answer has gone
 * out (applying it restarts the agent in place); its outcome goes to `config-status`.
 */
function configNotice(config: ConfigRequests): SubscriptionNotice {
  return {
    name: 'config',
    resource: 'm2m:cin',
    forget: config.forget,
    apply: (req, cin, log) => {
      log.info('configuration patch received through the registrar', { code: 'REMOTE_CONFIG_RECEIVED' });
      setImmediate(() => {
        config.patch(cin.con);
      });
      return responseTo(req, Rsc.OK);
    },
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
