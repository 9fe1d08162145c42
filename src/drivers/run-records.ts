/**
 * The exact last values of all the sim counters of one state directory, in one file
 * (`drivers/counters.run`) rewritten in place without fsync: one line per counter, each padded to
 * a fixed width, so the whole table is one `pwrite` at offset 0. Counters due at the same
 * sampling instant (the cron hub fires them in one wake-up) are written by one call: a value set
 * during a turn of the event loop is written in a microtask after the others of that turn, and
 * handed out only once written. Per counter, one write per value instead (the previous
 * `<key>.run` files) cost ten syscalls and ten dirty inodes a second at 10 readings/s.
 * As before, the page cache survives the process (crash, SIGKILL), not the machine: callers trust
 * a record only within the same boot and keep a durable reservation (counter-state.ts).
 */
import { closeSync, constants, ftruncateSync, openSync, promises as fsp, writeSync } from 'node:fs';
import path from 'node:path';
import { readStateText } from './state-file.js';

/** A counter's record: its exact last value and the boot it was written in. */
export interface RunRecord {
  readonly last: number;
  readonly boot: string;
}

/** A record line without its key, with the longest value and boot id (keys are file-name safe ASCII). */
const RECORD_BYTES = JSON.stringify({ key: '', last: -Number.MAX_SAFE_INTEGER, boot: 'f'.repeat(16) }).length;

/** Reads the records of `file` by key (the first line of a key wins; torn lines are skipped). */
export async function readRunRecords(file: string): Promise<Map<string, RunRecord>> {
  const records = new Map<string, RunRecord>();
  const text = await readStateText(file);
  if (text === undefined) return records;
  for (const line of text.split('\n')) {
    let r: { key?: unknown; last?: unknown; boot?: unknown };
    try {
      r = JSON.parse(line) as typeof r;
    } catch {
      continue; // torn by a power cut: the reservation covers it
    }
    if (typeof r.key !== 'string' || records.has(r.key)) continue;
    if (typeof r.last === 'number' && Number.isInteger(r.last) && typeof r.boot === 'string')
      records.set(r.key, { last: r.last, boot: r.boot });
  }
  return records;
}

class RunRecordFile {
  /** Lines by key, in file order; keys of earlier runs are kept (their counters may open later). */
  private readonly lines = new Map<string, string>();
  private fd: number | undefined;
  private users = 0;
  private pending: Promise<void> | undefined;
  private opening: Promise<void> | undefined;
  /** Bytes the file held when opened: a shorter first write truncates the rest. */
  private sizeBytes = 0;
  /** Writes made (tests check the batching). */
  writes = 0;

  constructor(readonly file: string) {}

  /** One more counter uses the file: opened (and its records read) by the first. */
  async open(): Promise<void> {
    this.opening ??= this.openFile().finally(() => {
      this.opening = undefined;
    });
    await this.opening;
    this.users++;
  }

  private async openFile(): Promise<void> {
    if (this.fd !== undefined) return;
    await fsp.mkdir(path.dirname(this.file), { recursive: true, mode: 0o750 });
    for (const [key, r] of await readRunRecords(this.file))
      if (!this.lines.has(key)) this.lines.set(key, render(key, r));
    this.fd = openSync(this.file, constants.O_RDWR | constants.O_CREAT, 0o640);
    this.sizeBytes = (await fsp.stat(this.file)).size;
  }

  /** Records `r` for `key`; resolves once it is written (with the others set in this turn). */
  set(key: string, r: RunRecord): Promise<void> {
    this.lines.set(key, render(key, r));
    this.pending ??= Promise.resolve().then(() => {
      this.pending = undefined;
      this.flush();
    });
    return this.pending;
  }

  /** One counter stops; the last one closes the file. */
  release(): void {
    if (--this.users > 0 || this.fd === undefined) return;
    if (this.pending === undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  private flush(): void {
    if (this.fd === undefined) return;
    const text = [...this.lines.values()].join('');
    writeSync(this.fd, text, 0, 'utf8');
    this.writes++;
    // Written first, then cut: a crash in between leaves old lines after the new ones (read second).
    if (text.length < this.sizeBytes) ftruncateSync(this.fd, text.length);
    this.sizeBytes = text.length;
    if (this.users === 0) {
      closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

function render(key: string, r: RunRecord): string {
  return JSON.stringify({ key, last: r.last, boot: r.boot }).padEnd(RECORD_BYTES + key.length) + '\n';
}

const files = new Map<string, RunRecordFile>();

/** The run-record file of a state directory's drivers folder, shared by its counters. */
export function runRecordFile(driversDir: string): RunRecordFile {
  const file = path.join(driversDir, 'counters.run');
  let f = files.get(file);
  if (!f) files.set(file, (f = new RunRecordFile(file)));
  return f;
}

export type { RunRecordFile };
