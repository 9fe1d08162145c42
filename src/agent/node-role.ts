/**
 * The node's role picks its registration: an ADN registers an `<AE>` (`Registration`), an ASN runs
 * its own CSE and registers a `<remoteCSE>` (`AsnNode`, `AsnRegistration`).
 */
import type { AgentConfig } from '../config/types.js';
import type { ActuatorCommand } from '../drivers/types.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { createAsnNode, type AsnNode } from './asn/node.js';
import type { AsnRegistration } from './asn/registration.js';
import { IdentityStore } from './identity.js';
import { Registration } from './registration.js';

export interface NodeRoleOptions {
  readonly rqi: () => string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Applies a command to an actuator (the agent's `actuate`); used by the ASN's own CSE. */
  readonly actuate: (device: string, cmd: ActuatorCommand) => Promise<void>;
}

/** The registration for the configured role, and in the ASN role the node's own CSE. */
export interface NodeRole {
  readonly registration: Registration | AsnRegistration;
  /** The ASN role's own CSE and routed-request handler; undefined in the ADN role. */
  readonly asn?: AsnNode;
  /** Where the identity is kept; closed when the agent stops (it may still be retrying a save). */
  readonly identityStore: IdentityStore;
}

/** Builds the configured role's registration (and, for an ASN, sets up its own CSE). */
export async function createNodeRole(config: AgentConfig, o: NodeRoleOptions): Promise<NodeRole> {
  const log = o.logger;
  const identityStore = new IdentityStore(config.stateDir, { logger: log.child({ component: 'identity' }) });
  // ASN role: the agent's own CSE (readings stored, commands applied), <remoteCSE> registration.
  if (config.node.role === 'asn') {
    const asn = await createAsnNode({
      config,
      store: identityStore,
      rqi: o.rqi,
      clock: o.clock,
      logger: log.child({ component: 'asn' }),
      actuate: o.actuate,
    });
    return { registration: asn.registration, asn, identityStore };
  }
  const registration = new Registration({
    registrarCseId: config.registrar.cseId,
    cseBase: config.registrar.cseName,
    name: config.node.name,
    appId: config.node.appId,
    ...(config.node.originator === undefined ? {} : { originator: config.node.originator }),
    releaseVersion: config.releaseVersion,
    poa: config.registrar.compat.poa,
    subscribe: config.registrar.compat.notificationsOverLink,
    devices: config.devices,
    store: identityStore,
    rqi: o.rqi,
    logger: log.child({ component: 'registration' }),
    requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
    clock: o.clock,
  });
  return { registration, identityStore };
}
