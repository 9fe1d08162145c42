/**
 * The `nmea` driver: a GPS receiver printing NMEA 0183. Readings: `lat`, `lon` (decimal degrees,
 * SenML units lat/lon), `alt` (m), `fix` (GGA quality) and `satellites`. Sentences with a bad
 * checksum are counted and dropped.
 */
import { ParamReader } from '../params.js';
import type { DriverContext, Reading } from '../types.js';
import { stampNow, stampReading } from '../reading.js';
import type { SerialDriverOptions } from './streaming-driver.js';
import { LineStreamingDriver } from './line-streaming-driver.js';
import { parseNmeaSentence } from './nmea.js';

/** NMEA 0183 GPS receiver. */
export class NmeaDriver extends LineStreamingDriver {
  constructor(params: Readonly<Record<string, unknown>>, opts: SerialDriverOptions = {}) {
    super('nmea', new ParamReader(params), opts, { encoding: 'latin1', maxLineBytes: 1024 });
  }

  protected onLine(line: string, ctx: DriverContext): void {
    const fix = parseNmeaSentence(line);
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
