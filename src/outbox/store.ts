/**
 * The storage contract under the outbox (after paho.golang's queue: enqueue, peek, then remove or
 * quarantine). A store keeps opaque payloads with a small header and knows nothing of oneM2M,
 * sockets or policy: eviction, expiry and `latest` replacement live in `Outbox`.
 */

/** oneM2M event category of a pending upload (TS-0001 CMDH `ec`), as the outbox uses it. */
export type EventCategory = 'immediate' | 'bestEffort' | 'latest';

export const EVENT_CATEGORIES: readonly EventCategory[] = ['immediate', 'bestEffort', 'latest'];

/** What the caller hands to `append`: everything but the id, which the store assigns. */
export interface NewRecord {
  /** Logical stream (e.g. a device's container); ordering and `latest` replacement are per stream. */
  readonly stream: string;
  readonly ec: EventCategory;
  /** Wall-clock creation (sampling) time, ms since the epoch, as the clock read then. */
  readonly createdWallMs: number;
  /** Monotonic time of creation, boot-relative (see util/clock-jump.ts). */
  readonly createdMonoMs: number;
  /** Boot the monotonic stamp belongs to. */
  readonly bootId: string;
  /** Absolute expiry on the same wall clock as `createdWallMs` (e.g. from `rqet`). */
  readonly expiresAtWallMs?: number;
  /** Opaque bytes (for a reading: its values and units; the header holds its device and stamp). */
  readonly payload: Uint8Array;
}

/** A stored record's header: everything but the payload, kept in memory by every store. */
export interface RecordMeta extends Omit<NewRecord, 'payload'> {
  /** Monotonic sequence number; never reused, also across restarts (gaps allowed). */
  readonly id: number;
  /** Bytes the record occupies in the store (header and payload); what `buffer.maxBytes` counts. */
  readonly sizeBytes: number;
}

/** A stored record with its payload. */
export interface StoredRecord extends RecordMeta {
  readonly payload: Uint8Array;
}

/** A record set aside after a permanent refusal, with the reason. */
export interface QuarantinedRecord extends StoredRecord {
  readonly reason: string;
  readonly quarantinedAtWallMs: number;
}

/** Why records leave the store (counted separately in stats). */
export type RemoveCause = 'delivered' | 'evicted' | 'expired' | 'replaced' | 'dropped';

/** Which records a query considers. */
export interface RecordFilter {
  /** Ids to pass over (e.g. those in flight). */
  readonly skip?: ReadonlySet<number>;
  /** Streams to pass over (e.g. held back until a failed entry of theirs is retried). */
  readonly skipStreams?: ReadonlySet<string>;
  readonly stream?: string;
  readonly ec?: EventCategory;
}

/** Counters and gauges. Counters run since the store was opened (they are metrics, not history). */
export interface StoreStats {
  /** Records held. */
  readonly depth: number;
  /** Sum of the held records' `sizeBytes`. */
  readonly bytes: number;
  /** `createdWallMs` of the oldest (lowest id) record held, undefined when empty. */
  readonly oldestCreatedWallMs: number | undefined;
  /** Records held per event category. */
  readonly byEc: Readonly<Record<EventCategory, number>>;
  readonly delivered: number;
  readonly evicted: number;
  readonly expired: number;
  readonly replaced: number;
  readonly dropped: number;
  readonly quarantined: number;
  /** Torn tails (a record cut short by a crash or power cut) found and dropped at open. */
  readonly tornRecovered: number;
  /** Records or regions failing their checksum (at open or when read back), dropped. */
  readonly corrupt: number;
}

/** A durable (or in-memory) queue of opaque records, oldest first. */
export interface OutboxStore {
  /** Stores a record and returns its id; the record is held once the promise resolves. */
  append(rec: NewRecord): Promise<number>;
  /** Up to `n` records matching `filter`, with payloads, oldest (lowest id) first. */
  peek(n: number, filter?: RecordFilter): Promise<StoredRecord[]>;
  /** Visits the headers of held records oldest first (no payload I/O); return `false` to stop. */
  scan(visit: (meta: RecordMeta) => boolean | undefined, filter?: RecordFilter): void;
  /** Header of one record, or undefined if not held. */
  meta(id: number): RecordMeta | undefined;
  /** Removes records (unknown ids are ignored); returns how many were removed. */
  remove(ids: Iterable<number>, cause?: RemoveCause): Promise<number>;
  /** Moves a record to the quarantine area with the reason; false if it was not held. */
  quarantine(id: number, reason: string): Promise<boolean>;
  /** The records currently in the (bounded) quarantine area, oldest first. */
  readQuarantine(): Promise<QuarantinedRecord[]>;
  /**
   * On a full disk, frees real space (the file store: empties and deletes its oldest segment file
   * holding records that `evictable` accepts, moving the others into the current segment). Returns
   * how many records it evicted, or undefined when nothing can be freed that way. Absent: every
   * removed record frees its own space (the memory store).
   */
  reclaimSpace?(evictable: (id: number, ec: EventCategory) => boolean): Promise<number | undefined>;
  /** Bytes a record would occupy, so policy can make room before appending. */
  sizeOf(rec: NewRecord): number;
  stats(): StoreStats;
  /** Makes everything written so far durable now (the file store batches fsyncs otherwise). */
  sync(): Promise<void>;
  /** Flushes, syncs and releases resources; later calls fail with `OUTBOX_CLOSED`. */
  close(): Promise<void>;
}

/** True when `meta` passes `filter`. */
export function matches(meta: RecordMeta, filter: RecordFilter | undefined): boolean {
  if (!filter) return true;
  if (filter.skip?.has(meta.id)) return false;
  if (filter.skipStreams?.has(meta.stream)) return false;
  if (filter.stream !== undefined && meta.stream !== filter.stream) return false;
  if (filter.ec !== undefined && meta.ec !== filter.ec) return false;
  return true;
}

/** The header of a decoded record. */
export function metaOf(r: RecordMeta): RecordMeta {
  return recordMeta(r, r.id, r.sizeBytes);
}

/**
 * The header of `rec` once stored as `id` in `sizeBytes`. Built field by field, never as
 * `{ ...rec, id }`: on this path (once per record appended or drained) a spread made V8 create a
 * new hidden class for every record (`--log-maps`: three per reading), old-space garbage that
 * cost a full collection every few minutes.
 */
export function recordMeta(
  rec: Omit<RecordMeta, 'id' | 'sizeBytes'>,
  id: number,
  sizeBytes: number,
): RecordMeta {
  const m: { -readonly [K in keyof RecordMeta]: RecordMeta[K] } = {
    id,
    stream: rec.stream,
    ec: rec.ec,
    createdWallMs: rec.createdWallMs,
    createdMonoMs: rec.createdMonoMs,
    bootId: rec.bootId,
    sizeBytes,
  };
  if (rec.expiresAtWallMs !== undefined) m.expiresAtWallMs = rec.expiresAtWallMs;
  return m;
}
