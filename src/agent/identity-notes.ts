/**
 * What both roles' registrations do with the stored identity alike (`KeptIdentity`): load it only when it belongs
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

/**
 * The identity a registration holds: loaded once (only when it is `owner()`'s), with its notes, and
 * forgotten locally after a DELETE of our registration. Both roles' registrations extend it.
 */
export abstract class KeptIdentity {
  protected identity?: Identity;
  private loaded = false;

  constructor(
    protected readonly store: IdentityStore,
    private readonly log: Logger,
  ) {}

  /** Whom a stored identity must belong to. */
  protected abstract owner(): IdentityOwner;

  current(): Identity | undefined {
    return this.identity;
  }

  /** Loads the stored identity; one for another registrar, name or role is ignored (logged). */
  async load(): Promise<Identity | undefined> {
    if (this.loaded) return this.identity;
    this.loaded = true;
    this.identity = await loadOwnIdentity(this.store, this.owner(), this.log);
    return this.identity;
  }

  /** A value kept with the identity (device management's resource ids, the last polled command), by key. */
  note(key: string): string | undefined {
    return noteOf(this.identity, key);
  }

  async setNote(key: string, value: string): Promise<void> {
    if (!this.identity) return;
    this.identity = withNote(this.identity, key, value);
    await this.store.save(this.identity);
  }

  /** Forgets the identity locally (after a DELETE of our `<AE>` / `<remoteCSE>`). */
  async forget(): Promise<void> {
    this.identity = undefined;
    await this.store.clear();
  }
}
