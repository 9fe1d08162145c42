/**
 * The frames of the last few appended records, kept in memory after their write so the uplink,
 * which usually sends a reading right after it is appended, gets it without reading it back
 * from the file (one thread-pool round trip per reading otherwise). Bounded by count and bytes
 * whatever the backlog: older records come from the file as before (read-ahead.ts). A frame here
 * is the exact bytes written (ids are never reused, so an id cannot name another record), and it
 * is still checked against its CRC when served.
 */

/** At most this many frames are kept... */
export const RECENT_MAX_FRAMES = 64;
/** ...and at most this many bytes of them. */
export const RECENT_MAX_BYTES = 64 * 1024;

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
