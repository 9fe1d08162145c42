/**
 * The file store's in-memory index: one row per held record, in id order, stored column-wise in
 * typed arrays (about 52 bytes a row, no object per record), so a million buffered records cost
 * tens of megabytes and no garbage-collector pressure. Payloads are not here; they stay on disk.
 *
 * Rows are appended in increasing id order (ids are monotonic) and removed anywhere; removed rows
 * are marked dead and squeezed out when the table grows or is mostly dead. Lookup by id is a
 * binary search (the id column stays sorted through compaction).
 */
import {
  EVENT_CATEGORIES,
  type EventCategory,
  type RecordFilter,
  type RecordMeta,
  type StoredRecord,
} from './store.js';

/** Where a record's frame lives. */
export interface RecordLocation {
  readonly segment: number;
  readonly offset: number;
}

const MIN_CAPACITY = 1024;

export class RecordIndex {
  private cap = 0;
  private head = 0;
  private tail = 0;
  private live = 0;
  private liveBytes = 0;
  private readonly ecCounts = [0, 0, 0];
  private id = new Float64Array(0);
  private wall = new Float64Array(0);
  private mono = new Float64Array(0);
  private expires = new Float64Array(0); // NaN: none
  private seg = new Uint32Array(0);
  private off = new Uint32Array(0);
  private size = new Uint32Array(0);
  private stream = new Uint32Array(0);
  private boot = new Uint16Array(0);
  private ec = new Uint8Array(0);
  private alive = new Uint8Array(0);
  // Interned strings: a handful of streams and boots serve every row.
  private readonly streams: string[] = [];
  private readonly streamNo = new Map<string, number>();
  private readonly boots: string[] = [];
  private readonly bootNo = new Map<string, number>();

  constructor() {
    this.resize(MIN_CAPACITY);
  }

  /** Rows held. */
  get count(): number {
    return this.live;
  }
  /** Sum of the held rows' sizes. */
  get bytes(): number {
    return this.liveBytes;
  }
  /** Rows held per event category. */
  countOf(ec: EventCategory): number {
    return this.ecCounts[EVENT_CATEGORIES.indexOf(ec)] ?? 0;
  }
  /** Highest id ever added (0 when none). */
  get lastId(): number {
    return this.tail > 0 ? (this.id[this.tail - 1] ?? 0) : 0;
  }
  /** Approximate bytes of memory the table holds (for the benchmark's per-record figure). */
  get memoryBytes(): number {
    return this.cap * 52;
  }

  /** Adds a row; `meta.id` must be greater than every id added before. */
  add(meta: RecordMeta, loc: RecordLocation): void {
    if (this.tail > 0 && meta.id <= this.lastId)
      throw new RangeError(`index: id ${meta.id} is not increasing`);
    if (this.tail === this.cap) {
      if (this.live * 2 <= this.cap && this.cap > MIN_CAPACITY) this.compact(this.cap);
      else this.compact(this.cap * 2);
    }
    this.setRow(this.tail++, meta, loc);
  }

  private setRow(i: number, meta: RecordMeta, loc: RecordLocation): void {
    this.id[i] = meta.id;
    this.wall[i] = meta.createdWallMs;
    this.mono[i] = meta.createdMonoMs;
    this.expires[i] = meta.expiresAtWallMs ?? NaN;
    this.seg[i] = loc.segment;
    this.off[i] = loc.offset;
    this.size[i] = meta.sizeBytes;
    this.stream[i] = intern(meta.stream, this.streams, this.streamNo);
    this.boot[i] = intern(meta.bootId, this.boots, this.bootNo);
    const ec = EVENT_CATEGORIES.indexOf(meta.ec);
    this.ec[i] = ec;
    this.alive[i] = 1;
    this.live++;
    this.liveBytes += meta.sizeBytes;
    this.ecCounts[ec] = (this.ecCounts[ec] ?? 0) + 1;
  }

  /** Points the row at `pos` at a copy of its frame elsewhere (see space-reclaim.ts). */
  relocate(pos: number, loc: RecordLocation): void {
    this.seg[pos] = loc.segment;
    this.off[pos] = loc.offset;
  }

  /**
   * Adds a row whose id may be lower than ids already held (a record moved to a later segment,
   * met again at start-up). O(rows) per call: for the few such records only.
   */
  insert(meta: RecordMeta, loc: RecordLocation): void {
    if (this.tail === 0 || meta.id > this.lastId) {
      this.add(meta, loc);
      return;
    }
    if (this.tail === this.cap) this.compact(this.cap * 2);
    let i = this.tail;
    while (i > this.head && at(this.id, i - 1) > meta.id) i--;
    for (const col of this.columns()) col.copyWithin(i + 1, i, this.tail);
    this.tail++;
    this.setRow(i, meta, loc);
  }

  /** Row position of a held id, or -1. */
  find(id: number): number {
    let lo = this.head;
    let hi = this.tail - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = at(this.id, mid);
      if (v === id) return this.alive[mid] ? mid : -1;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  /** Removes the row at `pos` (from `find` or `positions`); returns its location. */
  kill(pos: number): RecordLocation {
    const loc = { segment: at(this.seg, pos), offset: at(this.off, pos) };
    this.alive[pos] = 0;
    this.live--;
    this.liveBytes -= at(this.size, pos);
    const ec = at(this.ec, pos);
    this.ecCounts[ec] = (this.ecCounts[ec] ?? 0) - 1;
    while (this.head < this.tail && !this.alive[this.head]) this.head++;
    if (this.live === 0) {
      this.head = this.tail = 0;
      if (this.cap > MIN_CAPACITY) this.resize(MIN_CAPACITY);
    } else if (this.cap > MIN_CAPACITY && this.live * 8 < this.cap) {
      this.compact(Math.max(MIN_CAPACITY, this.cap >>> 1)); // give memory back after a backlog drains
    }
    return loc;
  }

  /** Live row positions, oldest first. Do not add or kill rows while iterating. */
  *positions(): Generator<number> {
    for (let i = this.head; i < this.tail; i++) if (this.alive[i]) yield i;
  }

  idAt(pos: number): number {
    return at(this.id, pos);
  }
  locationAt(pos: number): RecordLocation {
    return { segment: at(this.seg, pos), offset: at(this.off, pos) };
  }
  sizeAt(pos: number): number {
    return at(this.size, pos);
  }
  ecAt(pos: number): EventCategory {
    return EVENT_CATEGORIES[at(this.ec, pos)] ?? 'bestEffort';
  }
  streamAt(pos: number): string {
    return this.streams[at(this.stream, pos)] ?? '';
  }

  /** Whether the row at `pos` passes `filter`. */
  passes(pos: number, filter: RecordFilter | undefined): boolean {
    if (!filter) return true;
    if (filter.skip?.has(at(this.id, pos))) return false;
    if (filter.ec !== undefined && this.ecAt(pos) !== filter.ec) return false;
    if (filter.stream !== undefined && this.streamAt(pos) !== filter.stream) return false;
    if (filter.skipStreams?.has(this.streamAt(pos))) return false;
    return true;
  }

  /** The ids of the oldest `n` rows passing `filter` and not in `exclude`. */
  select(n: number, filter: RecordFilter | undefined, exclude: ReadonlySet<number>): number[] {
    const ids: number[] = [];
    for (const pos of this.positions()) {
      if (ids.length >= n) break;
      const id = at(this.id, pos);
      if (!exclude.has(id) && this.passes(pos, filter)) ids.push(id);
    }
    return ids;
  }

  /**
   * For each of `ids` (in the order a reader will read them): the bytes from its frame to the end
   * of the run of frames that follow it back to back in the same segment, among those ids; 0 for
   * an id not held. Tells the reader how much one read may fetch.
   */
  runBytes(ids: readonly number[]): number[] {
    const runs = new Array<number>(ids.length).fill(0);
    let nextSeg = -1; // where ids[k + 1] lies (-1: nowhere)
    let nextOff = -1;
    for (let k = ids.length - 1; k >= 0; k--) {
      const pos = this.find(ids[k] ?? 0);
      if (pos < 0) {
        nextSeg = -1;
        continue;
      }
      const [seg, off, size] = [at(this.seg, pos), at(this.off, pos), at(this.size, pos)];
      runs[k] = nextSeg === seg && nextOff === off + size ? size + (runs[k + 1] ?? 0) : size;
      nextSeg = seg;
      nextOff = off;
    }
    return runs;
  }

  /** The header of the row at `pos`. */
  metaAt(pos: number): RecordMeta {
    return this.recordAt(pos, undefined);
  }

  /** The row at `pos` with `payload`: one object literal, no spreads (this runs per record drained). */
  recordAt(pos: number, payload: Uint8Array): StoredRecord;
  recordAt(pos: number, payload: undefined): RecordMeta;
  recordAt(pos: number, payload: Uint8Array | undefined): RecordMeta | StoredRecord {
    const r: { -readonly [K in keyof StoredRecord]?: StoredRecord[K] } = {
      id: at(this.id, pos),
      stream: this.streams[at(this.stream, pos)] ?? '',
      ec: EVENT_CATEGORIES[at(this.ec, pos)] ?? 'bestEffort',
      createdWallMs: at(this.wall, pos),
      createdMonoMs: at(this.mono, pos),
      bootId: this.boots[at(this.boot, pos)] ?? '',
      sizeBytes: at(this.size, pos),
    };
    const exp = at(this.expires, pos);
    if (!Number.isNaN(exp)) r.expiresAtWallMs = exp;
    if (payload) r.payload = payload;
    return r as StoredRecord;
  }

  /** Moves live rows to the front of arrays of capacity `cap`. */
  private compact(cap: number): void {
    const old = {
      id: this.id,
      wall: this.wall,
      mono: this.mono,
      expires: this.expires,
      seg: this.seg,
      off: this.off,
      size: this.size,
      stream: this.stream,
      boot: this.boot,
      ec: this.ec,
      alive: this.alive,
    };
    const [from, to] = [this.head, this.tail];
    this.resize(cap);
    let j = 0;
    for (let i = from; i < to; i++) {
      if (!old.alive[i]) continue;
      this.id[j] = at(old.id, i);
      this.wall[j] = at(old.wall, i);
      this.mono[j] = at(old.mono, i);
      this.expires[j] = at(old.expires, i);
      this.seg[j] = at(old.seg, i);
      this.off[j] = at(old.off, i);
      this.size[j] = at(old.size, i);
      this.stream[j] = at(old.stream, i);
      this.boot[j] = at(old.boot, i);
      this.ec[j] = at(old.ec, i);
      this.alive[j] = 1;
      j++;
    }
    this.head = 0;
    this.tail = j;
  }

  private columns(): (Float64Array | Uint32Array | Uint16Array | Uint8Array)[] {
    return [
      this.id,
      this.wall,
      this.mono,
      this.expires,
      this.seg,
      this.off,
      this.size,
      this.stream,
      this.boot,
      this.ec,
      this.alive,
    ];
  }

  private resize(cap: number): void {
    this.cap = cap;
    this.id = new Float64Array(cap);
    this.wall = new Float64Array(cap);
    this.mono = new Float64Array(cap);
    this.expires = new Float64Array(cap);
    this.seg = new Uint32Array(cap);
    this.off = new Uint32Array(cap);
    this.size = new Uint32Array(cap);
    this.stream = new Uint32Array(cap);
    this.boot = new Uint16Array(cap);
    this.ec = new Uint8Array(cap);
    this.alive = new Uint8Array(cap);
  }
}

function at(a: ArrayLike<number>, i: number): number {
  return a[i] ?? 0;
}

function intern(s: string, list: string[], nos: Map<string, number>): number {
  let n = nos.get(s);
  if (n === undefined) {
    n = list.length;
    list.push(s);
    nos.set(s, n);
  }
  return n;
}
