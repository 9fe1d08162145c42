/**
 * Reading held records back from their segment files: a backlog drained after an outage, or a
 * record no longer among the frames just written (segment-writer.ts). Not on a reading's way in
 * steady state, where the uplink sends what was just appended from the writer's memory.
 *
 * Read-ahead, for draining: records are read back in id order, which is file order within a
 * segment, so one `read(2)` of the next `READ_AHEAD_BYTES` serves the records after it from
 * memory instead of one read each (a thread-pool round trip per record). Only bytes below the
 * segment's written end are ever cached, and a segment's written bytes never change (append
 * only; a failed write is trimmed back to that end; the writer reports a segment cut back or
 * deleted, and `forget` drops the buffer), so the buffer cannot go stale. Each read fills a new
 * buffer that nothing writes to afterwards, so views handed out stay valid; payloads handed out
 * are copies (`copyOf`) so that a record does not pin a whole buffer.
 */
import { mapError } from './errors.js';
import type { FdCache } from './fd-cache.js';
import type { FileOps } from './file-ops.js';
import { dataPayloadAt } from './record-codec.js';
import type { RecordLocation } from './record-index.js';
import { copyOf, type Segment } from './segment-writer.js';

/** Bytes read at once when a record is not in the buffer (about 250 small records). */
export const READ_AHEAD_BYTES = 64 * 1024;
/** Largest single read, however long the run of records a caller announces. */
export const MAX_READ_BYTES = 1024 * 1024;

export class SegmentReader {
  /** The read-ahead buffer: `buf` holds the bytes of segment `no` from offset `start`. */
  private no = -1;
  private start = 0;
  private buf: Uint8Array = new Uint8Array(0);

  constructor(
    private readonly ops: FileOps,
    private readonly fds: FdCache,
    private readonly segment: (no: number) => Segment | undefined,
  ) {}

  /**
   * The payload of record `id`, `size` frame bytes at `loc`, if it is in the read-ahead buffer
   * and intact (no I/O, no promise); else undefined.
   */
  bufferedPayload(loc: RecordLocation, size: number, id: number): Uint8Array | undefined {
    const frame = this.buffered(loc.segment, loc.offset, size);
    const payload = frame && dataPayloadAt(frame, 0, frame.length, id);
    return payload && copyOf(payload);
  }

  /**
   * Reads the payload of record `id`; undefined when its frame fails its checksum (or is gone).
   * `runBytes`: how many bytes from `loc` the caller is about to read in order (a run of
   * contiguous records); at least that much, or READ_AHEAD_BYTES, is read at once and kept, so
   * draining costs one read per run instead of one per record.
   */
  async payload(
    loc: RecordLocation,
    size: number,
    id: number,
    runBytes = size,
  ): Promise<Uint8Array | undefined> {
    const frame = await this.read(loc.segment, loc.offset, size, runBytes);
    const payload = dataPayloadAt(frame, 0, frame.length, id);
    return payload && copyOf(payload);
  }

  /**
   * Reads `size` bytes at `offset` of segment `no` (fewer at the end of the file, none if it is
   * gone). The result may be a view of the shared read buffer (never written to again): copy
   * what is kept.
   */
  async read(no: number, offset: number, size: number, runBytes = size): Promise<Uint8Array> {
    const seg = this.segment(no);
    if (!seg) return new Uint8Array(0);
    const hit = this.buffered(no, offset, size);
    if (hit) return hit;
    const span = Math.min(Math.max(runBytes, READ_AHEAD_BYTES), MAX_READ_BYTES, seg.fileBytes - offset);
    const buf = new Uint8Array(Math.max(size, span));
    let n: number;
    try {
      n = await this.ops.read(await this.fds.get(seg.path, 'r'), buf, offset);
    } catch (err) {
      throw mapError('reading a record', err);
    }
    // Only bytes below the written end are kept: beyond it a later append may still land.
    this.no = no;
    this.start = offset;
    this.buf = buf.subarray(0, Math.min(n, Math.max(0, seg.fileBytes - offset)));
    return buf.subarray(0, Math.min(n, size));
  }

  /** Drops the read-ahead buffer if it is over segment `no` (any segment: none given). */
  forget(no?: number): void {
    if (no !== undefined && no !== this.no) return;
    this.no = -1;
    this.buf = new Uint8Array(0);
  }

  /** A view of `size` bytes at `offset` of segment `no` if buffered (and the segment still held). */
  private buffered(no: number, offset: number, size: number): Uint8Array | undefined {
    if (no !== this.no || offset < this.start || !this.segment(no)) return undefined;
    const from = offset - this.start;
    if (from + size > this.buf.length) return undefined;
    return this.buf.subarray(from, from + size);
  }
}
