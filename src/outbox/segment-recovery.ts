/**
 * Start-up recovery of the file store's directory: read each segment with its ack file, keep the
 * unacknowledged records, cut torn tails, skip corrupt records, and report what was found. A
 * damaged file is logged and counted, never a reason to refuse to start.
 */
import { statfs } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Logger } from '../util/log.js';
import { OutboxDirError, errCode, isNoSpace } from './errors.js';
import { readWholeFile, type FileOps } from './file-ops.js';
import { ACK_ENTRY_BYTES, SEGMENT_MAGIC, decodeAcks, hasSegmentMagic, scanFrames } from './record-codec.js';
import type { IdReservation } from './id-reservation.js';
import type { RecordIndex } from './record-index.js';
import type { ReserveFile } from './reserve-file.js';
import type { SegmentWriter } from './segment-writer.js';
import { metaOf, type RecordMeta } from './store.js';

const SEGMENT_RE = /^seg-(\d{16})\.log$/;

/** File name of the segment whose first record id is `firstId` (sorts by id). */
export function segmentFileName(firstId: number): string {
  return `seg-${String(firstId).padStart(16, '0')}.log`;
}

/** The ack file beside a segment. */
export function ackFileName(segmentName: string): string {
  return segmentName.replace(/\.log$/, '.ack');
}

/** One recovered segment: its live records (headers and offsets) and file sizes. */
export interface RecoveredSegment {
  readonly name: string;
  readonly firstId: number;
  readonly fileBytes: number;
  readonly ackBytes: number;
  readonly live: { meta: RecordMeta; offset: number }[];
  /** Highest id seen in the segment, acknowledged or not (0 if none). */
  readonly maxId: number;
}

/** Totals of a recovery pass. */
export interface RecoveryReport {
  torn: number;
  corrupt: number;
  badAcks: number;
}

/**
 * Creates the directory if needed, checks it is writable (a named error if not: found at start,
 * not at the first reading), then recovers every segment oldest first, handing each to `onSegment`.
 */
export async function recoverDirectory(
  ops: FileOps,
  dir: string,
  log: Logger,
  onSegment: (seg: RecoveredSegment) => void,
): Promise<{ maxId: number; report: RecoveryReport }> {
  try {
    await ops.mkdir(dir);
  } catch (err) {
    throw new OutboxDirError(dir, err);
  }
  await probeWritable(ops, dir, log);
  const report: RecoveryReport = { torn: 0, corrupt: 0, badAcks: 0 };
  let maxId = 0;
  for (const s of await listSegments(ops, dir, log)) {
    maxId = Math.max(maxId, s.firstId - 1);
    let got: RecoveredSegment | undefined;
    try {
      got = await recoverSegment(ops, dir, s, report, log);
    } catch (err) {
      // An unreadable segment (EIO) stays in place for a later start; its records are missing now.
      log.error('outbox segment unreadable; skipped', { segment: s.name, err });
      continue;
    }
    if (!got) continue;
    maxId = Math.max(maxId, got.maxId);
    onSegment(got);
  }
  return { maxId, report };
}

/** What start-up fills in or prepares. */
export interface StoreParts {
  readonly writer: SegmentWriter;
  readonly index: RecordIndex;
  readonly ids: IdReservation;
  readonly reserve: ReserveFile;
}

/**
 * {@link recoverDirectory} into the store's parts (each segment registered with the writer, its
 * live records in the index, a copy made by space-reclaim.ts indexed once), then the first id to
 * use, a new active segment, the reserve file. Returns that id and what recovery found.
 */
export async function openSegments(
  ops: FileOps,
  dir: string,
  log: Logger,
  { writer, index, ids, reserve }: StoreParts,
): Promise<{ nextId: number; report: RecoveryReport }> {
  const { maxId, report } = await recoverDirectory(ops, dir, log, (got) => {
    const seg = writer.add(got.name, got.firstId, got.fileBytes, got.ackBytes);
    for (const { meta, offset } of got.live) {
      if (meta.id > index.lastId) index.add(meta, { segment: seg.no, offset });
      else if (index.find(meta.id) >= 0)
        continue; // a second copy: never index twice
      else index.insert(meta, { segment: seg.no, offset }); // a record moved to a later segment
      seg.live++;
    }
  });
  const nextId = Math.max(await ids.load(), maxId + 1, 1);
  try {
    await ids.ensure(nextId, nextId);
    await writer.start(nextId);
  } catch (err) {
    // A full disk must not stop the agent from starting: appends retry this (and policy evicts).
    log.warn('outbox could not prepare a new segment at start; will retry on append', { err });
  }
  await writer.deleteEmpty();
  await reserve.ensure();
  await writer.syncFiles();
  log.info('outbox opened', {
    dir,
    depth: index.count,
    bytes: index.bytes,
    segments: writer.count,
    ...report,
  });
  return { nextId, report };
}

const MIN_AUTO_SEGMENT_BYTES = 16 * 1024;
const MAX_AUTO_SEGMENT_BYTES = 4 * 1024 * 1024;

/** The default segment size for the filesystem holding `dir` (1/64 of it, 16 KiB to 4 MiB). */
export async function segmentBytesFor(dir: string): Promise<number> {
  let totalBytes: number | undefined;
  for (const d of [dir, dirname(dir)]) {
    try {
      const st = await statfs(d);
      totalBytes = st.blocks * st.bsize;
      break;
    } catch {
      // not created yet: its parent is on the same filesystem
    }
  }
  if (totalBytes === undefined || !Number.isFinite(totalBytes) || totalBytes <= 0)
    return MAX_AUTO_SEGMENT_BYTES;
  const share = Math.floor(totalBytes / 64 / 4096) * 4096;
  return Math.min(MAX_AUTO_SEGMENT_BYTES, Math.max(MIN_AUTO_SEGMENT_BYTES, share));
}

async function probeWritable(ops: FileOps, dir: string, log: Logger): Promise<void> {
  const probe = `${dir}/.probe-${process.pid}.tmp`;
  try {
    const fd = await ops.open(probe, 'w');
    try {
      await ops.write(fd, new Uint8Array([1]));
    } finally {
      await ops.close(fd);
    }
    await ops.unlink(probe);
  } catch (err) {
    // A full disk is not "unwritable": start anyway, policy evicts old entries to make room.
    if (!isNoSpace(err)) throw new OutboxDirError(dir, err);
    log.warn('outbox directory is full at start; old entries will be evicted to make room', { dir });
    await unlinkLogged(ops, probe, log);
  }
}

/** Lists segment files, oldest first, and removes leftovers (temp files, orphan ack files). */
export async function listSegments(
  ops: FileOps,
  dir: string,
  log: Logger,
): Promise<{ name: string; firstId: number }[]> {
  const names = await ops.readdir(dir);
  const present = new Set(names);
  const segs: { name: string; firstId: number }[] = [];
  for (const name of names) {
    const m = SEGMENT_RE.exec(name);
    if (m) segs.push({ name, firstId: Number(m[1]) });
    else if (
      (name.startsWith('.') && name.endsWith('.tmp')) ||
      (name.endsWith('.ack') && !present.has(name.replace(/\.ack$/, '.log')))
    ) {
      await unlinkLogged(ops, `${dir}/${name}`, log);
    }
  }
  return segs.sort((a, b) => a.firstId - b.firstId);
}

/** Recovers one segment; returns undefined when the file held nothing usable (and was removed or set aside). */
export async function recoverSegment(
  ops: FileOps,
  dir: string,
  seg: { name: string; firstId: number },
  report: RecoveryReport,
  log: Logger,
): Promise<RecoveredSegment | undefined> {
  const path = `${dir}/${seg.name}`;
  const buf = await readWholeFile(ops, path);
  if (
    buf.length < SEGMENT_MAGIC.length &&
    SEGMENT_MAGIC.subarray(0, buf.length).every((v, i) => buf[i] === v)
  ) {
    // Created but its header never fully reached the disk: a crash during rotation. Nothing in it.
    await unlinkLogged(ops, path, log);
    await unlinkLogged(ops, `${dir}/${ackFileName(seg.name)}`, log);
    return undefined;
  }
  if (!hasSegmentMagic(buf)) {
    report.corrupt++;
    log.error('outbox segment has no valid header; set aside', { segment: seg.name, bytes: buf.length });
    await ops.rename(path, `${path}.corrupt`).catch((err: unknown) => {
      log.error('could not set the corrupt segment aside', { segment: seg.name, err });
    });
    return undefined;
  }
  const acks = await readAcks(ops, dir, seg.name, report, log);
  const scan = scanFrames(buf, SEGMENT_MAGIC.length);
  let maxId = 0;
  const live: { meta: RecordMeta; offset: number }[] = [];
  for (const { record, offset } of scan.records) {
    if (record.id > maxId) maxId = record.id;
    if (acks.ids.has(record.id) || 'reason' in record) continue;
    live.push({ meta: metaOf(record), offset });
  }
  if (scan.corrupt > 0) {
    report.corrupt += scan.corrupt;
    log.warn('outbox segment had corrupt records; skipped them', {
      segment: seg.name,
      corrupt: scan.corrupt,
    });
  }
  let fileBytes = buf.length;
  if (scan.tornAt !== undefined) {
    report.torn++;
    fileBytes = scan.tornAt;
    log.warn('outbox segment had a torn tail (crash or power cut during a write); dropped it', {
      segment: seg.name,
      keptBytes: scan.tornAt,
      droppedBytes: buf.length - scan.tornAt,
    });
    await truncateLogged(ops, path, scan.tornAt, log);
  }
  return { name: seg.name, firstId: seg.firstId, fileBytes, ackBytes: acks.bytes, live, maxId };
}

async function readAcks(
  ops: FileOps,
  dir: string,
  segName: string,
  report: RecoveryReport,
  log: Logger,
): Promise<{ ids: Set<number>; bytes: number }> {
  const path = `${dir}/${ackFileName(segName)}`;
  let buf: Uint8Array;
  try {
    buf = await readWholeFile(ops, path);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return { ids: new Set(), bytes: 0 };
    throw err;
  }
  const { ids, bad } = decodeAcks(buf);
  if (bad > 0) {
    // A lost ack only means a record is delivered again (at least once), never lost.
    report.badAcks += bad;
    log.warn('outbox ack file had damaged entries; those records will be sent again', { file: path, bad });
  }
  const whole = buf.length - (buf.length % ACK_ENTRY_BYTES);
  if (whole !== buf.length) await truncateLogged(ops, path, whole, log); // keep later entries aligned
  return { ids, bytes: whole };
}

async function truncateLogged(ops: FileOps, path: string, length: number, log: Logger): Promise<void> {
  try {
    const fd = await ops.open(path, 'r+');
    try {
      await ops.ftruncate(fd, length);
      await ops.fsync(fd);
    } finally {
      await ops.close(fd);
    }
  } catch (err) {
    log.warn('could not truncate a damaged outbox file; it is read correctly anyway', { file: path, err });
  }
}

/** Unlinks, tolerating a missing file and logging any other failure. */
export async function unlinkLogged(ops: FileOps, path: string, log: Logger): Promise<boolean> {
  try {
    await ops.unlink(path);
    return true;
  } catch (err) {
    if (errCode(err) === 'ENOENT') return true;
    log.warn('could not remove an outbox file', { file: path, err });
    return false;
  }
}
