/** What the agent is given: its devices, outbox, registration, uplink and link. */
import type { Device, Reading } from '../../drivers/types.js';
import type { Actuate } from '../actuators.js';
import type { AgentParts } from '../agent.js';
import type { AsnNode } from '../asn/node.js';
import type { AsnRegistration } from '../asn/registration.js';
import { agentOutbox } from '../reading-queue.js';
import { Registration } from '../registration.js';
import type { StatusReporting } from '../status-reporting.js';
import type { Core } from './core.js';
import type { NodeFeatures } from './node-features.js';

export interface AgentPieces extends Pick<AgentParts, 'uplink' | 'link' | 'management'> {
  readonly devices: readonly Device[];
  readonly actuate: Actuate;
  readonly registration: Registration | AsnRegistration;
  readonly asn: AsnNode | undefined;
  readonly features: NodeFeatures;
  /** The originator the current connection announced in its handshake. */
  readonly originSent: () => string | undefined;
  readonly status: Pick<StatusReporting, 'changed' | 'counted'>;
  readonly onReading: ((device: string, readings: readonly Reading[]) => void) | undefined;
}

export function agentParts(c: Core, p: AgentPieces): AgentParts {
  const { config } = c;
  const { registration, status } = p;
  return {
    config,
    devices: p.devices,
    actuate: p.actuate,
    outbox: agentOutbox(c.outbox, p.asn),
    registration,
    uplink: p.uplink,
    link: p.link,
    clock: c.clock,
    bootId: c.bootId,
    logger: c.logger,
    csz: p.features.csz,
    // ACME identifies a connection by its handshake's X-M2M-Origin: if the AE-ID was assigned
    // (not the stem we announced), this connection cannot carry our other requests.
    needsReconnectAfterRegistration: () =>
      config.registrar.compat.originHeader && p.originSent() !== registration.aeId,
    ...(registration instanceof Registration
      ? {
          appliedCommands: {
            get: (device: string) => registration.note(`applied:${device}`),
            set: (device: string, id: string) => registration.setNote(`applied:${device}`, id),
          },
        }
      : {}),
    ...(p.management ? { management: p.management } : {}),
    onReading: (device, readings) => {
      status.counted();
      p.onReading?.(device, readings);
    },
  };
}
