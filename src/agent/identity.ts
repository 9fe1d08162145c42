/**
 * The identity the registrar gave us, persisted in the state directory so that a restart never
 * registers again (TS-0020: closing the link does not deregister). Written atomically.
 */
import { readFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import { AgentError, describeError } from '../util/errors.js';
import { silentLogger, type Logger } from '../util/log.js';

export interface Identity {
  /** Registrar CSE-ID and our resource name the identity belongs to; a change means a new registration. */
  readonly registrarCseId: string;
  readonly name: string;
  /** The AE-ID (`aei`) or, in the ASN role, our CSE-ID. */
  readonly aeId: string;
  /** Resource id of our `<AE>` / `<remoteCSE>` on the registrar. */
  readonly ri?: string;
  /**
   * Resource name of our `<AE>` / `<remoteCSE>` as the registrar answered it (`rn` in the CREATE
   * response): every path below it starts here, never from the configuration (ACME names a
   * `<remoteCSE>` after the CSE-ID, whatever `rn` was asked). Absent in files of older versions.
   */
  readonly rn?: string;
  readonly registeredAt: string;
  /** Resources we created, keyed by path below the AE (`barn-temp`, `fan/command`). Value: `ri`. */
  readonly resources: Readonly<Record<string, string>>;
  /** The `rn` the registrar gave each of those resources, by the same key, where it differs from the asked one. */
  readonly names?: Readonly<Record<string, string>>;
}

const FILE = 'identity.json';
/** Pause between attempts to save an identity that could not be written (e.g. a full disk). */
const SAVE_RETRY_MS = 5_000;

export interface IdentityStoreOptions {
  readonly logger?: Logger;
  readonly saveRetryMs?: number;
}

export class IdentityStore {
  private readonly path: string;
  private readonly log: Logger;
  /** An identity that could not be written yet: kept in memory, saved again until it is. */
  private unsaved: Identity | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly stateDir: string,
    private readonly opts: IdentityStoreOptions = {},
  ) {
    this.path = join(stateDir, FILE);
    this.log = opts.logger ?? silentLogger;
  }

  /** True while an identity waits in memory to be written. */
  get pendingSave(): boolean {
    return this.unsaved !== undefined;
  }

  /** The stored identity, or undefined if there is none (first start). */
  async load(): Promise<Identity | undefined> {
    if (this.unsaved) return this.unsaved;
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
        ...(typeof raw.rn === 'string' && raw.rn !== '' ? { rn: raw.rn } : {}),
        registeredAt: typeof raw.registeredAt === 'string' ? raw.registeredAt : '',
        resources: typeof raw.resources === 'object' && raw.resources !== null ? raw.resources : {},
        ...(stringMap(raw.names) ? { names: raw.names } : {}),
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

  /**
   * Writes the identity. A failure (a full disk, most often) does not stop registration and
   * delivery: the identity is kept in memory and written every `saveRetryMs` until it succeeds
   * (logged when it starts failing and when it is saved). Until then a restart would register anew.
   */
  async save(id: Identity): Promise<void> {
    this.unsaved = id;
    await this.flush();
  }

  private async flush(): Promise<void> {
    const id = this.unsaved;
    if (!id) return;
    try {
      await mkdir(this.stateDir, { recursive: true, mode: 0o750 });
      await writeFileAtomic(this.path, JSON.stringify(id, null, 2) + '\n');
    } catch (err) {
      if (this.unsaved !== id) return; // a newer save (or clear) came meanwhile and decides
      if (!this.retryTimer)
        this.log.warn('cannot save the identity; kept in memory and saved again until it succeeds', {
          path: this.path,
          error: describeError(err),
          hint: 'free space in the state directory: a restart before it is saved registers anew',
        });
      this.scheduleRetry();
      return;
    }
    if (this.unsaved !== id) return;
    this.unsaved = undefined;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.log.info('identity saved', { path: this.path });
    }
  }

  private scheduleRetry(): void {
    if (this.closed) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      void this.flush();
    }, this.opts.saveRetryMs ?? SAVE_RETRY_MS);
    this.retryTimer.unref();
  }

  /**
   * Stops retrying: one last attempt to write an identity still waiting (logged if it fails), so
   * that nothing writes into the state directory after the agent let go of it.
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const id = this.unsaved;
    if (!id) return;
    this.unsaved = undefined;
    try {
      await mkdir(this.stateDir, { recursive: true, mode: 0o750 });
      await writeFileAtomic(this.path, JSON.stringify(id, null, 2) + '\n');
    } catch (err) {
      this.log.warn('the identity could not be saved before stopping; the next start registers anew', {
        path: this.path,
        error: describeError(err),
      });
    }
  }

  async clear(): Promise<void> {
    this.unsaved = undefined;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    const { rm } = await import('node:fs/promises');
    await rm(this.path, { force: true });
  }
}

function stringMap(v: unknown): v is Record<string, string> {
  return (
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    Object.values(v).every((x) => typeof x === 'string')
  );
}

/** The path below our `<AE>`/`<remoteCSE>` of the resource `key` (`fan/command`), with the registrar's names. */
export function pathBelow(id: Identity | undefined, key: string): string {
  const parts = key.split('/');
  return parts.map((part, i) => id?.names?.[parts.slice(0, i + 1).join('/')] ?? part).join('/');
}

/** `id` with the resource `key` recorded: its `ri`, and its `rn` when the registrar chose another. */
export function withResource(id: Identity, key: string, ri: string, rn?: string): Identity {
  const names = Object.fromEntries(Object.entries(id.names ?? {}).filter(([k]) => k !== key));
  if (rn !== undefined) names[key] = rn;
  const next: { -readonly [K in keyof Identity]: Identity[K] } = {
    ...id,
    resources: { ...id.resources, [key]: ri },
  };
  if (Object.keys(names).length > 0) next.names = names;
  else delete next.names;
  return next;
}
