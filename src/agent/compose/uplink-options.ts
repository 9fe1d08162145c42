/** What the uplink is given: where readings go, how long requests may take, whom to tell. */
import type { Link } from '../../connectivity/link.js';
import type { AsnRegistration } from '../asn/registration.js';
import { outboxQueue } from '../reading-queue.js';
import type { Registration } from '../registration.js';
import type { StatusReporting } from '../status-reporting.js';
import type { UplinkOptions } from '../uplink.js';
import type { Core } from './core.js';
import type { NodeFeatures } from './node-features.js';

export interface UplinkParts {
  readonly registration: Registration | AsnRegistration;
  readonly features: NodeFeatures;
  readonly link: Pick<Link, 'touch'>;
  readonly status: Pick<StatusReporting, 'changed' | 'counted' | 'roundTrip'>;
}

export function uplinkOptions(c: Core, p: UplinkParts): UplinkOptions {
  const { config, outbox } = c;
  const { registration, link, status } = p;
  return {
    queue: outboxQueue(outbox),
    rvi: config.releaseVersion,
    rqi: c.rqi,
    aeId: () => registration.aeId,
    aePath: () => registration.aePath,
    containerPath: (device) => registration.pathOf(device),
    contentFormat: (device) =>
      config.devices.find((d) => d.name === device)?.contentFormat ?? config.contentFormat,
    idempotentNames: config.buffer.idempotentNames,
    maxInFlight: config.registrar.compat.maxInFlight,
    requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
    recover: async (conn) => {
      await registration.recover(conn, p.features.csz(conn));
    },
    clock: c.clock,
    logger: c.logger.child({ component: 'uplink' }),
    onDelivered: () => {
      status.roundTrip();
      link.touch();
      status.counted();
    },
    onQuarantined: () => {
      status.changed();
    },
  };
}
