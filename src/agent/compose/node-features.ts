/** Which optional parts this node runs, decided once from the configuration and the role. */
import type { Connection } from '../../binding/ws/types.js';
import { serializationOf } from '../../codec/subprotocol.js';
import type { AgentConfig } from '../../config/types.js';
import { contentSerializations } from '../connector.js';

export interface NodeFeatures {
  /**
   * The reboot object is served: management on and the registrar notifies over the link (in the ASN
   * role too: notifications to our CSE-ID come over it, asn/serve.ts).
   */
  readonly rebootByRegistrar: boolean;
  /** The `config` container takes patches (needs the reboot object's conditions too). */
  readonly remoteConfig: boolean;
  /** `csz` of the registration for a connection. */
  readonly csz: (conn: Connection) => readonly string[];
}

export function nodeFeatures(config: AgentConfig): NodeFeatures {
  const compat = config.registrar.compat;
  const rebootByRegistrar = config.management.enabled && compat.notificationsOverLink;
  return {
    rebootByRegistrar,
    remoteConfig: rebootByRegistrar && config.management.remoteConfig.enabled,
    // None where the registrar cannot take it (Mobius: 5000 on any csz).
    csz: (conn) =>
      compat.sendCsz
        ? contentSerializations(serializationOf(conn.subprotocol) ?? 'json', config.serializations)
        : [],
  };
}
