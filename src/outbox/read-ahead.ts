/**
 * One read-ahead buffer for draining: records are read back in id order, which is file order
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

/**
 * A copy of `bytes` that does not pin the read buffer it came from. Carved from Node's shared
 * allocation pool: about 4x cheaper than `slice` for records of a few hundred bytes.
 */
export function copyOf(bytes: Uint8Array): Uint8Array {
  const b = Buffer.allocUnsafe(bytes.length);
  b.set(bytes);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}
