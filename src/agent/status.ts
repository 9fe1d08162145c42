/**
 * The status file: a snapshot the running agent writes atomically (at most once a second) into
 * the state directory, which `m2m-agent status` reads while the service runs.
 */
import { writeFileSync } from 'node:fs';
import { open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Clock, TimerHandle } from '../util/clock.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { redactSecrets } from '../util/redact.js';

/** How the status file shows a device (`status --json`; read back by `m2m-agent status`). */
export interface DeviceSnapshot {
  readonly lastReading?: { readonly time: string; readonly values: Record<string, unknown> };
  readonly lastError?: string;
  readonly errors: number;
  readonly readings: number;
}

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
    /** Readings refused because the outbox or the disk was full (absent in files of older agents). */
    readonly refused?: number;
  };
  readonly devices: Readonly<Record<string, DeviceSnapshot>>;
  readonly lastRoundTrip?: string;
  readonly pid: number;
  readonly updatedAt: string;
}

export const STATUS_FILE = 'status.json';
/** Consecutive successful writes after a failure before the recovery is logged. */
const WRITES_BEFORE_RECOVERED = 60;
/** How long a change of counters alone (readings sampled, delivered) may wait to be written. */
export const COUNTS_INTERVAL_MS = 5000;

export class StatusWriter {
  private timer?: TimerHandle;
  /** When the pending timer fires (monotonic ms). */
  private dueMono = Infinity;
  private lastWriteMono = -Infinity;
  private writing = Promise.resolve();
  /** The last write failed (logged once per change, not once a second). */
  private failing = false;
  private writtenSinceFailure = 0;

  constructor(
    private readonly stateDir: string,
    private readonly snapshot: () => StatusSnapshot,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly minIntervalMs = 1000,
    /**
     * When only counters moved (a reading sampled or delivered), the file waits this long: at 10
     * readings/s a write a second was the agent's largest single CPU cost (snapshot, JSON, redaction,
     * temp file, rename), for figures nobody reads every second.
     */
    private readonly countsIntervalMs = COUNTS_INTERVAL_MS,
  ) {}

  /** Something changed (link, registration, an error, the outbox's state): write within `minIntervalMs`. */
  changed(): void {
    this.writeWithin(this.minIntervalMs);
  }

  /** Only counters moved: write within `countsIntervalMs`, or sooner with the next change. */
  counted(): void {
    this.writeWithin(this.countsIntervalMs);
  }

  private writeWithin(intervalMs: number): void {
    const dueMono = Math.max(this.clock.monotonicMs(), this.lastWriteMono + intervalMs);
    if (this.timer && this.dueMono <= dueMono) return;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.dueMono = dueMono;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, dueMono - this.clock.monotonicMs());
    this.timer.unref?.();
  }

  /** Writes now (also on shutdown). */
  async flush(): Promise<void> {
    if (this.timer) {
      this.clock.clearTimeout(this.timer);
      this.timer = undefined;
    }
    this.lastWriteMono = this.clock.monotonicMs();
    // Last errors may quote a URL: the file is read by others (`m2m-agent status`, support bundles).
    const text = redactSecrets(JSON.stringify(this.snapshot(), null, 2) + '\n');
    this.writing = this.writing.then(() => this.write(text));
    await this.writing;
  }

  private async write(text: string): Promise<void> {
    const path = join(this.stateDir, STATUS_FILE);
    try {
      await replaceUnsynced(path, text);
    } catch (err) {
      // A full disk has no room for the temporary file; the old file's blocks can still be reused.
      if (!(isNoSpace(err) && (await overwriteInPlace(path, text)))) {
        if (!this.failing) this.logger.warn('cannot write the status file', { error: describeError(err) });
        this.failing = true;
        this.writtenSinceFailure = 0;
        return;
      }
    }
    // A nearly full disk lets some writes through: "written again" only after a run of them.
    if (this.failing && ++this.writtenSinceFailure >= WRITES_BEFORE_RECOVERED) {
      this.logger.info('status file written again');
      this.failing = false;
    }
  }
}

/**
 * Replaces `path` atomically (a reader never sees half a file) but without fsync: a snapshot
 * rewritten every second needs no durability (the next start writes a fresh one). The temporary
 * file is written synchronously (open, write, close into the page cache: microseconds) rather than
 * as three thread-pool round trips a second; the rename stays in the pool, because on ext4 a
 * rename over an existing file starts the new file's writeback (about 2 ms here, longer on a busy
 * SD card), which must not block the event loop.
 */
async function replaceUnsynced(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    writeFileSync(tmp, text, { mode: 0o640 });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
}

function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/**
 * Rewrites `path` in place when `text` fits in the blocks it holds, padded with spaces to its
 * current size (JSON allows trailing white space), so no new block is needed. Not atomic: a reader at that very moment may
 * see a mix; only used when the atomic write found no room. False when it does not fit or fails.
 */
async function overwriteInPlace(path: string, text: string): Promise<boolean> {
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r+');
    const st = await fh.stat();
    const bytes = Buffer.from(text);
    // The blocks the file already holds can take a longer text without a new allocation.
    if (bytes.length > Math.max(st.size, st.blocks * 512)) return false;
    const size = Math.max(st.size, bytes.length);
    const padded = Buffer.alloc(size, 0x20);
    bytes.copy(padded);
    padded[size - 1] = 0x0a;
    await fh.write(padded, 0, size, 0);
    return true;
  } catch {
    return false;
  } finally {
    await fh?.close().catch(() => undefined);
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
    `outbox     ${s.outbox.depth} waiting (${s.outbox.bytes} bytes, oldest ${s.outbox.oldestAgeSeconds} s); evicted ${s.outbox.evicted}, expired ${s.outbox.expired}, quarantined ${s.outbox.quarantined}${s.outbox.refused ? `, refused ${s.outbox.refused} (full)` : ''}`,
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
