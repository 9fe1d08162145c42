/**
 * The ASN role's parts, built from the configuration for the composition root: the agent's own
 * ASN-CSE (readings stored locally, commands applied), its `<remoteCSE>` registration, and the
 * handler for requests the registrar routes to it. Readings of devices with `push` (the default)
 * also go through the outbox to containers under our `<remoteCSE>` on the registrar, exactly as
 * in the ADN role; `push: false` keeps them only here, for the registrar to RETRIEVE (pull).
 */
import type { RequestHandler } from '../../binding/ws/types.js';
import type { AgentConfig } from '../../config/types.js';
import type { ActuatorCommand } from '../../drivers/types.js';
import type { Clock } from '../../util/clock.js';
import { describeError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { IdentityStore } from '../identity.js';
import type { ReadingRecord } from '../reading-queue.js';
import { AsnTrust } from './access.js';
import { AsnLocalCse } from './local-cse.js';
import { AsnRegistration } from './registration.js';
import { createAsnRequestHandler } from './serve.js';

/** Default seconds between checks that the registrar still holds our `<remoteCSE>`. */
export const DEFAULT_REGISTRATION_CHECK_SECONDS = 300;

export interface AsnNodeOptions {
  readonly config: AgentConfig;
  readonly store: IdentityStore;
  readonly rqi: () => string;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Applies a command to an actuator (the agent's `actuate`). */
  readonly actuate: (device: string, cmd: ActuatorCommand) => Promise<void>;
}

export interface AsnNode {
  readonly local: AsnLocalCse;
  readonly registration: AsnRegistration;
  /** The connection's `onRequest`: requests routed to our CSE. */
  readonly onRequest: RequestHandler;
  /** Stores a reading in the local CSE; true when it is to be pushed as well. */
  record(reading: ReadingRecord): Promise<boolean>;
}

/** Builds the ASN role's parts and sets up the local CSE (`<AE>`, containers). */
export async function createAsnNode(o: AsnNodeOptions): Promise<AsnNode> {
  const { config } = o;
  const cseId = config.node.cseId;
  if (cseId === undefined) throw new TypeError('node.cseId is required in the asn role');
  const originator = config.node.originator;
  const local = new AsnLocalCse({
    cseId,
    name: config.node.name,
    aeId: originator !== undefined && /^[CS]./.test(originator) ? originator : `C${config.node.name}`,
    appId: config.node.appId,
    releaseVersion: config.releaseVersion,
    devices: config.devices,
    actuate: o.actuate,
    clock: o.clock,
    logger: o.logger,
  });
  await local.setUp();
  const pushes = new Set(config.devices.filter((d) => d.push !== false).map((d) => d.name));
  const registration = new AsnRegistration({
    registrarCseId: config.registrar.cseId,
    cseBase: config.registrar.cseName,
    cseId,
    cseName: config.node.name,
    releaseVersion: config.releaseVersion,
    poa: config.registrar.compat.poa,
    pushDevices: config.devices.filter((d) => pushes.has(d.name)),
    store: o.store,
    rqi: o.rqi,
    requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
    checkIntervalMs: (config.node.registrationCheckSeconds ?? DEFAULT_REGISTRATION_CHECK_SECONDS) * 1000,
    onRegistrar: (rec) => {
      local.setRegistrar(rec);
    },
    clock: o.clock,
    logger: o.logger.child({ component: 'registration' }),
  });
  const onRequest = createAsnRequestHandler({
    local,
    trust: new AsnTrust(config.registrar.cseId, config.trustedOriginators, config.registrar.spId),
    logger: o.logger.child({ component: 'asn-inbound' }),
  });
  return {
    local,
    registration,
    onRequest,
    async record(reading) {
      try {
        await local.store(reading);
      } catch (err) {
        // Storing locally must not cost the reading its way to the registrar.
        o.logger.error('reading could not be stored in the local CSE', {
          device: reading.device,
          error: describeError(err),
        });
      }
      return pushes.has(reading.device);
    },
  };
}
