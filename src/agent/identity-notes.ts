/**
 * What both roles' registrations do with the stored identity alike: load it only when it belongs
 * to the configured registrar, name (and, in the ASN role, CSE-ID), and keep small values with it
 * (device management's resource ids, the last polled command), stored as `#key` among its
 * resources so that no resource path can collide with them.
 */
import type { Logger } from '../util/log.js';
import type { Identity, IdentityStore } from './identity.js';

/** The key device management keeps the `ri` of our `<node>` under (`deregister` deletes it). */
export const NODE_NOTE = 'mgmt:node';

export function noteOf(identity: Identity | undefined, key: string): string | undefined {
  return identity?.resources[`#${key}`];
}

export function withNote(identity: Identity, key: string, value: string): Identity {
  return { ...identity, resources: { ...identity.resources, [`#${key}`]: value } };
}

export interface IdentityOwner {
  readonly registrarCseId: string;
  readonly name: string;
  /** Our CSE-ID in the ASN role; an ADN's AE-ID is the registrar's to give, so not compared. */
  readonly aeId?: string;
}

/** The stored identity if it is `owner`'s; one for another registrar, name or role is ignored (logged). */
export async function loadOwnIdentity(
  store: IdentityStore,
  owner: IdentityOwner,
  logger: Logger,
): Promise<Identity | undefined> {
  const id = await store.load();
  if (!id) return undefined;
  const role = (aeId: string | undefined): string => (owner.aeId === undefined ? '' : ` as ${aeId ?? ''}`);
  if (
    id.registrarCseId !== owner.registrarCseId ||
    id.name !== owner.name ||
    (owner.aeId !== undefined && id.aeId !== owner.aeId)
  ) {
    logger.warn('stored identity is for another registrar, name or role; registering anew', {
      stored: `${id.registrarCseId}/${id.name}${role(id.aeId)}`,
      configured: `${owner.registrarCseId}/${owner.name}${role(owner.aeId)}`,
    });
    return undefined;
  }
  return id;
}
