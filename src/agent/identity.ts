/**
 * The identity the registrar gave us, persisted in the state directory so that a restart never
 * registers again (TS-0020: closing the link does not deregister). Written atomically.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { AgentError } from '../util/errors.js';

export interface Identity {
  /** Registrar CSE-ID and our resource name the identity belongs to; a change means a new registration. */
  readonly registrarCseId: string;
  readonly name: string;
  /** The AE-ID (`aei`) or, in the ASN role, our CSE-ID. */
  readonly aeId: string;
  /** Resource id of our `<AE>` / `<remoteCSE>` on the registrar. */
  readonly ri?: string;
  readonly registeredAt: string;
  /** Resources we created, keyed by path below the AE (`barn-temp`, `fan/command`). Value: `ri`. */
  readonly resources: Readonly<Record<string, string>>;
}

const FILE = 'identity.json';

export class IdentityStore {
  private readonly path: string;
  constructor(private readonly stateDir: string) {
    this.path = join(stateDir, FILE);
  }

  /** The stored identity, or undefined if there is none (first start). */
  async load(): Promise<Identity | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new AgentError('STATE_UNREADABLE', `cannot read ${this.path}: ${(err as Error).message}`, {
        hint: 'check the permissions of the state directory',
        cause: err,
      });
    }
    try {
      const raw = JSON.parse(text) as Partial<Identity>;
      if (
        typeof raw.aeId !== 'string' ||
        typeof raw.registrarCseId !== 'string' ||
        typeof raw.name !== 'string'
      ) {
        throw new Error('missing aeId/registrarCseId/name');
      }
      return {
        registrarCseId: raw.registrarCseId,
        name: raw.name,
        aeId: raw.aeId,
        ...(typeof raw.ri === 'string' ? { ri: raw.ri } : {}),
        registeredAt: typeof raw.registeredAt === 'string' ? raw.registeredAt : '',
        resources: typeof raw.resources === 'object' && raw.resources !== null ? raw.resources : {},
      };
    } catch (err) {
      throw new AgentError(
        'STATE_CORRUPT',
        `${this.path} is not a valid identity file: ${(err as Error).message}`,
        {
          hint: 'run `m2m-agent deregister` or delete the file to register anew',
          cause: err,
        },
      );
    }
  }

  async save(id: Identity): Promise<void> {
    await mkdir(this.stateDir, { recursive: true, mode: 0o750 });
    await writeFileAtomic(this.path, JSON.stringify(id, null, 2) + '\n');
  }

  async clear(): Promise<void> {
    const { rm } = await import('node:fs/promises');
    await rm(this.path, { force: true });
  }
}
