/**
 * Winsen MH-Z19 / MH-Z19B CO₂ sensor frames (pure). Datasheet, "Communication protocol": every
 * frame is 9 bytes, starting 0xFF; a command is `FF 01 <cmd> 00 00 00 00 00 <check>`, the answer
 * to 0x86 (read CO₂) is `FF 86 HH LL …  <check>` with CO₂ = HH × 256 + LL ppm, and
 * check = (0xFF − (byte1 + … + byte7)) + 1, modulo 256.
 */
import { ChecksumError, FrameError } from '../errors.js';
import type { DecodeResult } from './pms5003.js';

/** Frame size on the wire. */
export const MHZ19_FRAME_BYTES = 9;
/** Command 0x86 "read CO₂ concentration", as printed in the datasheet. */
export const MHZ19_READ_CO2 = Uint8Array.from([0xff, 0x01, 0x86, 0x00, 0x00, 0x00, 0x00, 0x00, 0x79]);

/** The check byte of a 9-byte frame (sum of bytes 1–7, negated, plus one). */
export function mhz19Checksum(frame: Uint8Array): number {
  let sum = 0;
  for (let i = 1; i <= 7; i++) sum += frame[i] ?? 0;
  return (0xff - (sum & 0xff) + 1) & 0xff;
}

/** One answer to the read command. */
export interface Mhz19Reading {
  readonly co2: number;
}

/** Incremental decoder of `FF 86` answers; anything else is skipped and reported. */
export class Mhz19Decoder {
  private buf: Buffer = Buffer.alloc(0);

  /** Feeds received bytes. */
  push(chunk: Uint8Array): DecodeResult<Mhz19Reading> {
    this.buf = Buffer.concat([this.buf, chunk]);
    const frames: Mhz19Reading[] = [];
    const faults: Error[] = [];
    for (;;) {
      let start = -1;
      for (let i = 0; i < this.buf.length; i++) {
        if (this.buf[i] === 0xff && (i + 1 >= this.buf.length || this.buf[i + 1] === 0x86)) {
          start = i;
          break;
        }
      }
      if (start !== 0) {
        const skip = start < 0 ? this.buf.length : start;
        if (skip > 0) faults.push(new FrameError('mh-z19', `${skip} bytes of garbage skipped`));
        this.buf = this.buf.subarray(skip);
        if (start < 0) break;
      }
      if (this.buf.length < MHZ19_FRAME_BYTES) break;
      const frame = this.buf.subarray(0, MHZ19_FRAME_BYTES);
      const expected = frame[8] ?? 0;
      const actual = mhz19Checksum(frame);
      if (actual !== expected) {
        faults.push(new ChecksumError('mh-z19', expected, actual));
        this.buf = this.buf.subarray(1);
        continue;
      }
      frames.push({ co2: (frame[2] ?? 0) * 256 + (frame[3] ?? 0) });
      this.buf = this.buf.subarray(MHZ19_FRAME_BYTES);
    }
    return { frames, faults };
  }

  /** Drops buffered bytes. */
  reset(): void {
    this.buf = Buffer.alloc(0);
  }
}
