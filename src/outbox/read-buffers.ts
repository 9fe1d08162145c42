/**
 * The memory a held record is read back from without a file read: the frames just written
 * (`RecentFrames`) and one read-ahead buffer over a segment (`ReadAhead`).
 *
 * Read-ahead, for draining: records are read back in id order, which is file order
 * within a segment, so one `read(2)` of the next `READ_AHEAD_BYTES` serves the records after it
 * from memory instead of one read each (a thread-pool round trip per record). Only bytes below
 * the segment's written end are ever cached, and a segment's written bytes never change (append
 * only; a failed write is trimmed back to that end), so the buffer cannot go stale; a deleted
 * segment is never asked for again (segment numbers are not reused). Each read fills a new
 * buffer that nothing writes to afterwards, so views handed out stay valid; callers copy what
 * they keep (`copyOf`) so that a record does not pin a whole buffer.
 */

/** Bytes read at once when a record is not in the buffer (about 250 small records). */
export const READ_AHEAD_BYTES = 64 * 1024;
/** Largest single read, however long the run of records a caller announces. */
export const MAX_READ_BYTES = 1024 * 1024;

export class ReadAhead {
  private no = -1;
  private start = 0;
  private buf: Uint8Array = new Uint8Array(0);

  /** A view of `size` bytes at `offset` of segment `no` if buffered, else undefined. */
  get(no: number, offset: number, size: number): Uint8Array | undefined {
    if (no !== this.no || offset < this.start) return undefined;
    const from = offset - this.start;
    if (from + size > this.buf.length) return undefined;
    return this.buf.subarray(from, from + size);
  }

  /** How many bytes to read at `offset` for a record of `size` followed by `runBytes` in all, below `end`. */
  span(offset: number, size: number, runBytes: number, end: number): number {
    return Math.max(size, Math.min(Math.max(runBytes, READ_AHEAD_BYTES), MAX_READ_BYTES, end - offset));
  }

  /** Keeps `buf`, read at `offset` of segment `no`. */
  set(no: number, offset: number, buf: Uint8Array): void {
    this.no = no;
    this.start = offset;
    this.buf = buf;
  }

  /** Forgets the buffer (closing, or the segment is deleted). */
  clear(no?: number): void {
    if (no !== undefined && no !== this.no) return;
    this.no = -1;
    this.buf = new Uint8Array(0);
  }
}

/** At most this many frames are kept... */
export const RECENT_MAX_FRAMES = 64;
/** ...and at most this many bytes of them. */
export const RECENT_MAX_BYTES = 64 * 1024;

/**
 * The frames of the last few appended records, kept in memory after their write so the uplink,
 * which usually sends a reading right after it is appended, gets it without reading it back
 * from the file (one thread-pool round trip per reading otherwise). Bounded by count and bytes
 * whatever the backlog: older records come from the file (`ReadAhead`). A frame here
 * is the exact bytes written (ids are never reused, so an id cannot name another record), and it
 * is still checked against its CRC when served.
 */
export class RecentFrames {
  /** id → frame, oldest first. */
  private readonly frames = new Map<number, Uint8Array>();
  private bytes = 0;

  /** Keeps the frame of record `id` (just written), forgetting the oldest past the bounds. */
  add(id: number, frame: Uint8Array): void {
    if (frame.length > RECENT_MAX_BYTES) return;
    this.frames.set(id, frame);
    this.bytes += frame.length;
    while (this.frames.size > RECENT_MAX_FRAMES || this.bytes > RECENT_MAX_BYTES) {
      const first = this.frames.entries().next();
      if (first.done) break;
      this.forget(first.value[0]);
    }
  }

  get(id: number): Uint8Array | undefined {
    return this.frames.get(id);
  }

  /** Drops the frame of `id` (the record left the queue). */
  forget(id: number): void {
    const f = this.frames.get(id);
    if (!f) return;
    this.frames.delete(id);
    this.bytes -= f.length;
  }

  clear(): void {
    this.frames.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.frames.size;
  }
}

/**
 * A copy of `bytes` that does not pin the read buffer it came from. Carved from Node's shared
 * allocation pool: about 4x cheaper than `slice` for records of a few hundred bytes.
 */
export function copyOf(bytes: Uint8Array): Uint8Array {
  const b = Buffer.allocUnsafe(bytes.length);
  b.set(bytes);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
