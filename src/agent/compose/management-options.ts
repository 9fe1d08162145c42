/** What device management is given: the node's identity, its health sources, its notes. */
import { uptime } from 'node:os';
import type { Link } from '../../connectivity/link.js';
import type { Device } from '../../drivers/types.js';
import type { AsnRegistration } from '../asn/registration.js';
import type { ManagementOptions } from '../management.js';
import type { Registration } from '../registration.js';
import type { Core, StartHooks } from './core.js';
import type { NodeFeatures } from './node-features.js';

export interface ManagementParts {
  readonly registration: Registration | AsnRegistration;
  readonly features: NodeFeatures;
  readonly link: Pick<Link, 'stats'>;
  readonly devices: readonly Device[];
  readonly hooks: StartHooks;
  /** This build's version, published in the firmware object. */
  readonly agentVersion: string;
}

export function managementOptions(c: Core, p: ManagementParts): ManagementOptions {
  const { config, outbox, clock } = c;
  const { registration, link, devices, features, hooks } = p;
  const startMs = clock.nowMs();
  return {
    role: config.node.role,
    cseBase: config.registrar.cseName,
    name: config.node.name,
    agentVersion: p.agentVersion,
    releaseVersion: config.releaseVersion,
    updateMs: config.management.updateSeconds * 1000,
    aePath: () => registration.aePath,
    aeId: () => registration.aeId,
    note: (key) => registration.note(key),
    setNote: (key, value) => registration.setNote(key, value),
    health: () => {
      const s = outbox.stats();
      return {
        outboxDepth: s.depth,
        outboxOldestAgeSeconds: s.oldestAgeSeconds ?? 0,
        reconnects: link.stats().reconnects,
        sensorErrors: devices.reduce((n, d) => n + d.status().errors, 0),
        bootMs: clock.nowMs() - uptime() * 1000,
        startMs,
        nowMs: clock.nowMs(),
      };
    },
    rqi: c.rqi,
    clock,
    logger: c.logger.child({ component: 'management' }),
    requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
    ...(hooks.sysRoot === undefined ? {} : { root: hooks.sysRoot }),
    reboot: features.rebootByRegistrar,
    ...(features.remoteConfig && hooks.onConfigPatch && hooks.configStatus
      ? { configStatus: hooks.configStatus }
      : {}),
  };
}
