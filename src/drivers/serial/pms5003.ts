/**
 * Plantower PMS5003 frames (pure). Datasheet, "Appendix I: transport protocol – active mode":
 *
 *   offset  0  1    start characters 0x42 0x4D
 *           2  3    frame length, big endian = 2 × 13 data + 2 = 28
 *           4 …15   PM1.0 / PM2.5 / PM10 "CF=1 standard particle", then the same for
 *                   "atmospheric environment" (offsets 10, 12, 14), µg/m³, big endian
 *          16 …27   particle counts per 0.1 L (> 0.3, 0.5, 1.0, 2.5, 5.0, 10 µm)
 *          28 29    reserved
 *          30 31    check code = 16-bit sum of bytes 0 … 29
 *
 * The decoder resynchronises after garbage or a broken frame by searching for the next 0x42 0x4D.
 */
import { ChecksumError, FrameError } from '../errors.js';

/** Frame size on the wire. */
export const PMS5003_FRAME_BYTES = 32;
const START1 = 0x42;
const START2 = 0x4d;
const LENGTH = 28;

/** The atmospheric-environment concentrations of one frame (µg/m³). */
export interface Pms5003Frame {
  readonly pm1: number;
  readonly pm25: number;
  readonly pm10: number;
}

/** What one `push` produced. */
export interface DecodeResult<F> {
  readonly frames: F[];
  readonly faults: Error[];
}

/** Incremental PMS5003 decoder: feed it chunks, it returns whole, checked frames. */
export class Pms5003Decoder {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds received bytes. */
  push(chunk: Uint8Array): DecodeResult<Pms5003Frame> {
    this.buf = Buffer.concat([this.buf, chunk]);
    const frames: Pms5003Frame[] = [];
    const faults: Error[] = [];
    for (;;) {
      const start = findStart(this.buf);
      if (start > 0) {
        faults.push(new FrameError('pms5003', `${start} bytes of garbage skipped`));
        this.buf = this.buf.subarray(start);
      } else if (start < 0) {
        // Keep a trailing 0x42: it may be the first half of the next start pair.
        const keep = this.buf.length > 0 && this.buf[this.buf.length - 1] === START1 ? 1 : 0;
        if (this.buf.length - keep > 0)
          faults.push(new FrameError('pms5003', `${this.buf.length - keep} bytes of garbage skipped`));
        this.buf = this.buf.subarray(this.buf.length - keep);
        break;
      }
      if (this.buf.length < 4) break;
      const length = this.buf.readUInt16BE(2);
      if (length !== LENGTH) {
        faults.push(new FrameError('pms5003', `frame length ${length}, expected ${LENGTH}`));
        this.buf = this.buf.subarray(1);
        continue;
      }
      if (this.buf.length < PMS5003_FRAME_BYTES) break;
      let sum = 0;
      for (let i = 0; i < PMS5003_FRAME_BYTES - 2; i++) sum += this.buf[i] ?? 0;
      const expected = this.buf.readUInt16BE(30);
      if ((sum & 0xffff) !== expected) {
        faults.push(new ChecksumError('pms5003', expected, sum & 0xffff));
        this.buf = this.buf.subarray(2);
        continue;
      }
      frames.push({
        pm1: this.buf.readUInt16BE(10),
        pm25: this.buf.readUInt16BE(12),
        pm10: this.buf.readUInt16BE(14),
      });
      this.buf = this.buf.subarray(PMS5003_FRAME_BYTES);
    }
    return { frames, faults };
  }

  /** Drops buffered bytes (after a reopen). */
  reset(): void {
    this.buf = Buffer.alloc(0);
  }
}

function findStart(buf: Buffer): number {
  for (let i = 0; i + 1 < buf.length; i++) if (buf[i] === START1 && buf[i + 1] === START2) return i;
  return -1;
}
