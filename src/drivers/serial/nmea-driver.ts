/**
 * The `nmea` driver: a GPS receiver printing NMEA 0183. Readings: `lat`, `lon` (decimal degrees,
 * SenML units lat/lon), `alt` (m), `fix` (GGA quality) and `satellites`. Sentences with a bad
 * checksum are counted and dropped.
 */
import { ParamReader } from '../params.js';
import type { Reading } from '../types.js';
import { stampNow, stampReading } from '../reading.js';
import { StreamingSerialDriver } from './streaming-driver.js';
import type { SerialDriverOptions } from './streaming-driver.js';
import { LineFramer } from './line-framer.js';
import { parseNmeaSentence } from './nmea.js';

/** NMEA 0183 GPS receiver. */
export class NmeaDriver extends StreamingSerialDriver {
  private readonly framer: LineFramer;

  constructor(params: Readonly<Record<string, unknown>>, opts: SerialDriverOptions = {}) {
    super('nmea', new ParamReader(params), opts);
    this.framer = new LineFramer({
      protocol: 'nmea',
      encoding: 'latin1',
      maxLineBytes: 1024,
      onLine: (line) => {
        this.onLine(line);
      },
      onFault: (err) => {
        this.fault(err);
      },
    });
  }

  protected onBytes(chunk: Buffer): void {
    this.framer.push(chunk);
  }

  protected onReset(): void {
    this.framer.reset();
  }

  private onLine(line: string): void {
    const ctx = this.ctx;
    if (!ctx || line.trim() === '') return;
    let fix;
    try {
      fix = parseNmeaSentence(line);
    } catch (err) {
      this.fault(err as Error);
      return;
    }
    if (!fix) return;
    const at = stampNow(ctx.clock);
    const out: Reading[] = [];
    if (fix.quality !== undefined) out.push(stampReading(at, 'fix', fix.quality));
    if (fix.satellites !== undefined) out.push(stampReading(at, 'satellites', fix.satellites));
    if (fix.valid && fix.lat !== undefined && fix.lon !== undefined) {
      out.push(stampReading(at, 'lat', fix.lat, 'lat'), stampReading(at, 'lon', fix.lon, 'lon'));
    }
    if (fix.altM !== undefined) out.push(stampReading(at, 'alt', fix.altM, 'm'));
    this.record(out);
  }
}
