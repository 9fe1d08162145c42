/**
 * A counter that never repeats a value across restarts, at a fraction of a durable write per
 * value. Two files per counter:
 * - `<key>.json` `{ "last": R }`, replaced atomically with fsyncs (`writeStateFile`): a
 *   reservation, R >= every value handed out. Rewritten only when the counter passes it (every
 *   `reserveAhead` values) and on a clean close (then R is the exact last value).
 * - a line `{ "key", "last": N, "boot": id }` of `counters.run`: the exact last value, rewritten
 *   in place on every value without fsync, with the other counters due at the same instant
 *   (run-records.ts). The page cache survives the process (crash, SIGKILL), not the machine, so
 *   it is trusted only within the same boot.
 * After a restart in the same boot the counter goes on from N (no gap); after a power cut from R
 * (a gap of at most `reserveAhead`, never a repeat). The first state file format (`{ "last": N }`
 * written with fsyncs on every value) reads as a reservation. The previous run file, one
 * `<key>.run` per counter, is read when `counters.run` has no line for the counter (an upgrade
 * after a crash leaves no gap) and removed once that line is written.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { readStateFile, stateFilePath, writeStateFile } from './state-file.js';
import { readRunRecords, runRecordFile, type RunRecordFile } from './run-records.js';

/** Values reserved per durable write: one pair of fsyncs per this many values. */
export const DEFAULT_RESERVE_AHEAD = 100;

export class CounterState {
  private readonly durableFile: string;
  private readonly runFile: RunRecordFile;
  /** This counter's line in the run-record file: the durable file's name. */
  private readonly runKey: string;
  private runOpen = false;
  /** The previous format's run file of this counter, while it may still exist. */
  private legacyRunFile: string | undefined;
  /** 64 bits of the boot id: enough to tell boots apart. */
  private readonly boot: string;
  private reserved = -Infinity;

  constructor(
    stateDir: string,
    key: string,
    bootId: string,
    private readonly reserveAhead = DEFAULT_RESERVE_AHEAD,
  ) {
    this.durableFile = stateFilePath(stateDir, key);
    this.runFile = runRecordFile(path.dirname(this.durableFile));
    this.runKey = path.basename(this.durableFile, '.json');
    this.legacyRunFile = this.durableFile.replace(/\.json$/, '.run');
    this.boot = bootId.replace(/[^0-9a-zA-Z]/g, '').slice(-16);
  }

  /** The last value handed out before (undefined: none). Throws if the durable file is unreadable. */
  async load(): Promise<number | undefined> {
    const saved = integer((await readStateFile(this.durableFile)) as { last?: unknown } | undefined);
    // Read from the disk, not from the shared table: what a restarted process would find.
    const run =
      (await readRunRecords(this.runFile.file).catch(() => undefined))?.get(this.runKey) ??
      (await this.readLegacyRun());
    const exact = run?.boot === this.boot ? integer(run) : undefined;
    if (saved !== undefined) this.reserved = saved;
    return exact !== undefined && (saved === undefined || exact <= saved) ? exact : saved;
  }

  /** Records `value` (to be handed out next); resolves once it may be handed out. */
  async save(value: number): Promise<void> {
    if (value > this.reserved) {
      // Counted as reserved only once it is on disk: a failed write (disk full) is tried again.
      const reserved = value + this.reserveAhead;
      await writeStateFile(this.durableFile, { last: reserved });
      this.reserved = reserved;
    }
    if (!this.runOpen) {
      await this.runFile.open();
      this.runOpen = true;
    }
    await this.runFile.set(this.runKey, { last: value, boot: this.boot });
    if (this.legacyRunFile !== undefined) await this.removeLegacyRun(this.legacyRunFile);
  }

  /** `<key>.run` of the previous format, `{ "last": N, "boot": id }` padded with spaces. */
  private async readLegacyRun(): Promise<{ last?: unknown; boot?: unknown } | undefined> {
    if (this.legacyRunFile === undefined) return undefined;
    try {
      return (await readStateFile(this.legacyRunFile)) as { last?: unknown; boot?: unknown } | undefined;
    } catch {
      return undefined; // absent, or torn by a power cut: the reservation covers it
    }
  }

  /** Once this counter's line is in `counters.run`, the old file would only mislead a reader. */
  private async removeLegacyRun(file: string): Promise<void> {
    this.legacyRunFile = undefined;
    await fsp.rm(file, { force: true }).catch(() => undefined);
  }

  /** A clean stop: the reservation becomes the exact value, so the next start leaves no gap. */
  async close(value: number): Promise<void> {
    if (this.runOpen) this.runFile.release();
    this.runOpen = false;
    if (value === this.reserved || !Number.isFinite(this.reserved)) return;
    this.reserved = value;
    await writeStateFile(this.durableFile, { last: value });
  }
}

function integer(o: { last?: unknown } | undefined): number | undefined {
  const last = o?.last;
  return typeof last === 'number' && Number.isInteger(last) ? last : undefined;
}
