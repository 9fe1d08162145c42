/** What the NOTIFY handler is given: whom to trust, which subscriptions are ours, what to do. */
import type { Actuate } from '../actuators.js';
import type { InboundOptions } from '../inbound.js';
import { Registration } from '../registration.js';
import type { AsnRegistration } from '../asn/registration.js';
import { COMMAND_CONTAINER_NAME, COMMAND_SUBSCRIPTION_NAME } from '../resources.js';
import { TrustPolicy } from '../trust.js';
import type { Core, StartHooks } from './core.js';
import type { NodeFeatures } from './node-features.js';

export interface InboundParts {
  readonly registration: Registration | AsnRegistration;
  readonly features: NodeFeatures;
  /** Applies a command that arrived from the registrar. */
  readonly actuate: Actuate;
  readonly hooks: StartHooks;
}

export function inboundOptions(c: Core, p: InboundParts): InboundOptions {
  const { config } = c;
  const { registration, features, hooks } = p;
  return {
    trust: new TrustPolicy(config.registrar.cseId, config.trustedOriginators, config.registrar.spId),
    actuators: config.devices.filter((d) => d.kind === 'actuator').map((d) => d.name),
    resourceIdsOf: (device) => {
      const r = registration.current()?.resources ?? {};
      const cmd = `${device}/${COMMAND_CONTAINER_NAME}`;
      return [r[`${cmd}/${COMMAND_SUBSCRIPTION_NAME}`], r[cmd]].filter((x): x is string => x !== undefined);
    },
    actuate: p.actuate,
    logger: c.logger.child({ component: 'inbound' }),
    ...(features.rebootByRegistrar
      ? {
          reboot: {
            subscriptionRi: () => registration.note('mgmt:rebootSub') || undefined,
            restart: () => hooks.onRestartRequested?.(),
            forget: () => void registration.setNote('mgmt:rebootSub', ''),
          },
        }
      : {}),
    ...(features.remoteConfig && hooks.onConfigPatch
      ? {
          config: {
            subscriptionRi: () => registration.note('mgmt:configSub') || undefined,
            patch: hooks.onConfigPatch,
            forget: () => void registration.setNote('mgmt:configSub', ''),
          },
        }
      : {}),
    onSubscriptionDeleted: (device) => {
      if (device === undefined || !(registration instanceof Registration)) return;
      void registration
        .forgetResource(`${device}/${COMMAND_CONTAINER_NAME}/${COMMAND_SUBSCRIPTION_NAME}`)
        .then(() => {
          c.events.emit('resourcesLost');
        });
    },
  };
}
