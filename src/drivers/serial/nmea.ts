/**
 * NMEA 0183 sentences (pure): `$--RMC` and `$--GGA` from any talker (GP, GN, GL, …) with the
 * checksum checked (NMEA 0183: XOR of every character between `$` and `*`, two hex digits).
 * Positions are turned from `ddmm.mmmm` + hemisphere into signed decimal degrees.
 */
import { ChecksumError, FrameError } from '../errors.js';

/** What one sentence tells about the fix. */
export interface NmeaFix {
  readonly sentence: 'RMC' | 'GGA';
  /** Decimal degrees, north positive (absent without a fix). */
  readonly lat?: number;
  /** Decimal degrees, east positive. */
  readonly lon?: number;
  /** Altitude above mean sea level in metres (GGA). */
  readonly altM?: number;
  /** GGA fix quality (0 invalid, 1 GPS, 2 DGPS, 4 RTK, …). */
  readonly quality?: number;
  /** Satellites in use (GGA). */
  readonly satellites?: number;
  /** RMC status A (valid) / V (void); GGA quality > 0. */
  readonly valid: boolean;
}

/** The NMEA checksum of the text between `$` and `*`. */
export function nmeaChecksum(body: string): number {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i) & 0xff;
  return x;
}

/**
 * Parses one sentence. Returns undefined for well-formed sentences of other types (GSV, VTG, …);
 * throws `ChecksumError` for a checksum mismatch and `FrameError` for anything malformed.
 */
export function parseNmeaSentence(line: string): NmeaFix | undefined {
  const s = line.trim();
  const m = /^\$([^*$]*)\*([0-9A-Fa-f]{2})$/.exec(s);
  if (!m?.[1] || !m[2])
    throw new FrameError('nmea', `not an NMEA sentence with checksum: ${JSON.stringify(s.slice(0, 82))}`);
  const body = m[1];
  const expected = parseInt(m[2], 16);
  const actual = nmeaChecksum(body);
  if (actual !== expected) throw new ChecksumError('nmea', expected, actual);
  const f = body.split(',');
  const type = /^[A-Z]{2}(RMC|GGA)$/.exec(f[0] ?? '')?.[1];
  if (type === 'RMC') return parseRmc(f);
  if (type === 'GGA') return parseGga(f);
  return undefined;
}

// RMC: 0 type, 1 time, 2 status, 3 lat, 4 N/S, 5 lon, 6 E/W, 7 speed kn, 8 course, 9 date, …
function parseRmc(f: string[]): NmeaFix {
  const valid = f[2] === 'A';
  if (!valid) return { sentence: 'RMC', valid };
  return { sentence: 'RMC', valid, lat: coord(f[3], f[4], 'NS'), lon: coord(f[5], f[6], 'EW') };
}

// GGA: 0 type, 1 time, 2 lat, 3 N/S, 4 lon, 5 E/W, 6 quality, 7 satellites, 8 HDOP, 9 alt, 10 M, …
function parseGga(f: string[]): NmeaFix {
  const quality = int(f[6], 'fix quality');
  const satellites = f[7] === '' || f[7] === undefined ? undefined : int(f[7], 'satellites');
  const base = { sentence: 'GGA' as const, quality, ...(satellites === undefined ? {} : { satellites }) };
  if (quality === 0) return { ...base, valid: false };
  const alt = f[9] === '' || f[9] === undefined ? undefined : num(f[9], 'altitude');
  return {
    ...base,
    valid: true,
    lat: coord(f[2], f[3], 'NS'),
    lon: coord(f[4], f[5], 'EW'),
    ...(alt === undefined ? {} : { altM: alt }),
  };
}

/** `4807.038`,`N` → 48.1173; `01131.000`,`W` → -11.5166…; degrees are all digits before the last two of the integer part. */
function coord(value: string | undefined, hemi: string | undefined, allowed: 'NS' | 'EW'): number {
  const m = /^(\d{2,3})(\d{2}(?:\.\d+)?)$/.exec(value ?? '');
  if (!m?.[1] || !m[2] || hemi === undefined || hemi.length !== 1 || !allowed.includes(hemi)) {
    throw new FrameError('nmea', `bad coordinate "${value ?? ''}" "${hemi ?? ''}"`);
  }
  const minutes = Number(m[2]);
  if (minutes >= 60) throw new FrameError('nmea', `bad minutes in "${value ?? ''}"`);
  const deg = Number(m[1]) + minutes / 60;
  if (deg > (allowed === 'NS' ? 90 : 180))
    throw new FrameError('nmea', `coordinate out of range "${value ?? ''}"`);
  return hemi === 'S' || hemi === 'W' ? -deg : deg;
}

function int(text: string | undefined, what: string): number {
  if (text === undefined || !/^\d+$/.test(text)) throw new FrameError('nmea', `bad ${what} "${text ?? ''}"`);
  return Number(text);
}

function num(text: string, what: string): number {
  if (!/^-?\d+(\.\d+)?$/.test(text)) throw new FrameError('nmea', `bad ${what} "${text}"`);
  return Number(text);
}
