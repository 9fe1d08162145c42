/**
 * Freeing real disk space when the disk is full. Removing records frees nothing by itself (a
 * segment file is deleted only once all its records are gone), and on a filesystem of a few
 * segments the evictable records are spread over files that also hold records that must stay
 * (an `immediate` reading among `bestEffort` ones). So: take the oldest segment that holds
 * records the policy may evict, copy the ones that stay (same id, same bytes) to the end of the
 * current segment, sync, then evict the rest, which empties and deletes the old file.
 *
 * The copies need room on a full disk: a small reserve file, kept in the outbox directory while
 * there is space, is deleted first and made again after the old segment is gone. The copies are
 * fsynced before the old file can be deleted, so a crash or power cut in between leaves a record
 * twice (the start-up replay keeps one), never nowhere.
 */
import type { Logger } from '../util/log.js';
import type { RecordIndex } from './record-index.js';
import type { ReserveFile } from './reserve-file.js';
import type { SegmentReader } from './segment-reader.js';
import type { Segment, SegmentWriter } from './segment-writer.js';
import { isNoSpace, OutboxNoSpaceError } from './errors.js';
import type { EventCategory } from './store.js';

export interface ReclaimParts {
  readonly index: RecordIndex;
  readonly writer: SegmentWriter;
  readonly reader: SegmentReader;
  readonly reserve: ReserveFile;
  readonly log: Logger;
  /** Removes records as evicted (acks written, emptied segments deleted); returns the count. */
  readonly evict: (ids: readonly number[]) => Promise<number>;
}

interface Choice {
  readonly segment: number;
  readonly victims: number[];
  readonly stay: number[];
  stayBytes: number;
}

/**
 * Frees the segment (other than the one being appended to) holding the oldest record `evictable`
 * accepts, among those whose other records fit in `roomBytes`. Returns how many records were
 * evicted, or undefined if no segment qualifies (or the copies found no room).
 */
export async function reclaimOldestSegment(
  p: ReclaimParts,
  evictable: (id: number, ec: EventCategory) => boolean,
): Promise<number | undefined> {
  const roomBytes = await p.reserve.drop();
  try {
    const choice = choose(p, evictable, roomBytes);
    if (!choice) return (await p.writer.truncateActiveIfEmpty()) ? 0 : undefined;
    if (choice.stay.length > 0 && !(await moveToActive(p, choice))) return undefined;
    return await p.evict(choice.victims);
  } finally {
    await p.reserve.ensure();
  }
}

function choose(
  p: ReclaimParts,
  evictable: (id: number, ec: EventCategory) => boolean,
  roomBytes: number,
): Choice | undefined {
  const { index, writer } = p;
  const bySegment = new Map<number, Choice>();
  const order: Choice[] = [];
  // A full walk of the index (no payload I/O; only on a full disk, and the outbox skips it while
  // nothing changed since it last found nothing): copies moved by an earlier reclaim make a
  // segment's rows non-contiguous, so a segment is complete only at the end.
  for (const pos of index.positions()) {
    const { segment } = index.locationAt(pos);
    let c = bySegment.get(segment);
    if (!c) {
      const seg = writer.get(segment);
      if (!seg || writer.isActive(seg)) continue;
      c = { segment, victims: [], stay: [], stayBytes: 0 };
      bySegment.set(segment, c);
      order.push(c);
    }
    const id = index.idAt(pos);
    if (evictable(id, index.ecAt(pos))) c.victims.push(id);
    else {
      c.stay.push(id);
      c.stayBytes += index.sizeAt(pos);
    }
  }
  // Oldest victims first: the segment holding the oldest evictable record, not the one whose first
  // row is oldest (that may be a later segment holding copies of old records that stay).
  return order
    .filter((c) => qualifies(c, roomBytes))
    .sort((a, b) => (a.victims[0] ?? 0) - (b.victims[0] ?? 0))[0];
}

function qualifies(c: Choice, roomBytes: number): boolean {
  return c.victims.length > 0 && c.stayBytes <= roomBytes;
}

/** Copies the records that stay to the active segment, points the index at the copies, syncs. */
async function moveToActive(p: ReclaimParts, c: Choice): Promise<boolean> {
  const { index, writer, reader } = p;
  const chunk = new Uint8Array(c.stayBytes);
  const sizes: number[] = [];
  let at = 0;
  for (const id of c.stay) {
    const pos = index.find(id);
    if (pos < 0) return false; // delivered meanwhile: the next reclaim sees the new state
    const { offset } = index.locationAt(pos);
    const size = index.sizeAt(pos);
    chunk.set((await reader.read(c.segment, offset, size)).subarray(0, size), at);
    sizes.push(size);
    at += size;
  }
  let where: { seg: Segment; offset: number };
  try {
    // Past `segmentBytes` if need be: rotating would name a segment after an old id.
    where = await writer.appendBytes(chunk, 'moving records');
    // Durable before the old file may go: otherwise a power cut could lose both.
    await writer.syncFiles();
  } catch (err) {
    if (!(err instanceof OutboxNoSpaceError || isNoSpace(err))) throw err;
    p.log.debug('no room to move the records that stay; segment kept', { count: c.stay.length });
    return false;
  }
  // A record removed while the copy was written keeps its removal (its ack went to the old
  // segment); its copy is then dead bytes that a replay would bring back: sent once more, not lost.
  let offset = where.offset;
  let moved = 0;
  c.stay.forEach((id, k) => {
    const pos = index.find(id);
    if (pos >= 0) {
      index.relocate(pos, { segment: where.seg.no, offset });
      moved++;
    }
    offset += sizes[k] ?? 0;
  });
  // `moved` records of the old segment now live in the active one (their copies).
  const from = writer.get(c.segment);
  if (from) from.live -= moved;
  where.seg.live += moved;
  return true;
}
