/**
 * The status file: a snapshot the running agent writes atomically (at most once a second) into
 * the state directory, which `m2m-agent status` reads while the service runs.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../util/atomic-file.js';
import type { Clock, TimerHandle } from '../util/clock.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { DeviceStatus } from './agent.js';

export interface StatusSnapshot {
  readonly identity: {
    readonly aeId?: string;
    readonly ri?: string;
    readonly registrar: string;
    readonly name: string;
    readonly role: string;
    readonly registeredAt?: string;
  };
  readonly link: {
    readonly state: string;
    readonly subprotocol?: string;
    /** `permessage-deflate` when agreed, `none` when the registrar declined, `off` by configuration. */
    readonly compression?: string;
    readonly since: string;
    readonly reconnects: number;
    readonly lastError?: string;
  };
  readonly outbox: {
    readonly depth: number;
    readonly bytes: number;
    readonly oldestAgeSeconds: number;
    readonly evicted: number;
    readonly expired: number;
    readonly quarantined: number;
  };
  readonly devices: Readonly<Record<string, DeviceStatus>>;
  readonly lastRoundTrip?: string;
  readonly pid: number;
  readonly updatedAt: string;
}

export const STATUS_FILE = 'status.json';

export class StatusWriter {
  private timer?: TimerHandle;
  private lastWriteMono = -Infinity;
  private writing = Promise.resolve();

  constructor(
    private readonly stateDir: string,
    private readonly snapshot: () => StatusSnapshot,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly minIntervalMs = 1000,
  ) {}

  /** Something changed: write soon, but not more than once per interval. */
  changed(): void {
    if (this.timer) return;
    const wait = Math.max(0, this.lastWriteMono + this.minIntervalMs - this.clock.monotonicMs());
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, wait);
    this.timer.unref?.();
  }

  /** Writes now (also on shutdown). */
  async flush(): Promise<void> {
    if (this.timer) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastWriteMono = this.clock.monotonicMs();
    const text = JSON.stringify(this.snapshot(), null, 2) + '\n';
    // Replaced atomically (a reader never sees half a file) but not fsynced: a snapshot rewritten
    // every second needs no durability (the next start writes a fresh one). Off the event loop:
    // a rename can wait behind another file's fsync in the filesystem journal.
    this.writing = this.writing.then(() =>
      writeFileAtomic(join(this.stateDir, STATUS_FILE), text, { noSync: true }).catch((err: unknown) => {
        this.logger.warn('cannot write the status file', { error: describeError(err) });
      }),
    );
    await this.writing;
  }
}

export async function readStatus(stateDir: string): Promise<StatusSnapshot | undefined> {
  try {
    return JSON.parse(await readFile(join(stateDir, STATUS_FILE), 'utf8')) as StatusSnapshot;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** Human-readable status, a few lines. */
export function formatStatus(s: StatusSnapshot, nowMs: number): string {
  const age = Math.round((nowMs - Date.parse(s.updatedAt)) / 1000);
  const lines = [
    `identity   ${s.identity.aeId ?? '(not registered)'}  ${s.identity.role} "${s.identity.name}" at ${s.identity.registrar}`,
    `link       ${s.link.state}${s.link.subprotocol ? ` (${s.link.subprotocol})` : ''} since ${s.link.since}, ${s.link.reconnects} reconnects${s.link.compression ? `, compression ${s.link.compression}` : ''}${s.link.lastError ? `; last error: ${s.link.lastError}` : ''}`,
    `outbox     ${s.outbox.depth} waiting (${s.outbox.bytes} bytes, oldest ${s.outbox.oldestAgeSeconds} s); evicted ${s.outbox.evicted}, expired ${s.outbox.expired}, quarantined ${s.outbox.quarantined}`,
  ];
  for (const [name, d] of Object.entries(s.devices)) {
    const last = d.lastReading
      ? `${JSON.stringify(d.lastReading.values)} at ${d.lastReading.time}`
      : 'no reading yet';
    lines.push(
      `device     ${name}: ${last}; ${d.readings} readings, ${d.errors} errors${d.lastError ? `; last error: ${d.lastError}` : ''}`,
    );
  }
  lines.push(`written    ${s.updatedAt} (${age} s ago) by pid ${s.pid}`);
  return lines.join('\n');
}
