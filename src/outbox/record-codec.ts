/**
 * The file store's on-disk format. A segment file is an 8-byte magic followed by frames:
 *
 *   u32le bodyLength | u32le crc32(body) | body
 *   body: u8 kind (1 data, 2 quarantined) | u8 ec | u16le streamBytes | u8 bootIdBytes | u8 flags
 *         | u16le reasonBytes | f64le id | f64le createdWallMs | f64le createdMonoMs
 *         | f64le expiresAtWallMs | [f64le quarantinedAtWallMs, kind 2 only]
 *         | bootId | stream | [reason, kind 2 only] | payload
 *
 * Ack files hold fixed 12-byte entries `f64le id | u32le crc32(id bytes)`. Numbers are
 * little-endian doubles so ids and times need no BigInt and stay exact up to 2^53.
 */
import { crc32 as zlibCrc32 } from 'node:zlib';
import type { EventCategory, NewRecord, QuarantinedRecord, StoredRecord } from './store.js';

export const SEGMENT_MAGIC = new Uint8Array([0x4d, 0x32, 0x4d, 0x4f, 0x42, 0x58, 0x31, 0x0a]); // "M2MOBX1\n"
export const FRAME_HEADER_BYTES = 8;
const FIXED_BODY_BYTES = 40;
/** Upper bound of a frame body; a larger length prefix is treated as corruption, not as a record. */
export const MAX_BODY_BYTES = 16 * 1024 * 1024;
export const ACK_ENTRY_BYTES = 12;

const KIND_DATA = 1;
const KIND_QUARANTINED = 2;
const EC_CODES: readonly EventCategory[] = ['immediate', 'bestEffort', 'latest'];
const FLAG_EXPIRES = 1;
const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

/** Frame bytes a data record occupies (header included): the store's `sizeBytes`. */
export function dataFrameBytes(rec: NewRecord): number {
  return (
    FRAME_HEADER_BYTES +
    FIXED_BODY_BYTES +
    utf8Length(rec.bootId) +
    utf8Length(rec.stream) +
    rec.payload.length
  );
}

/**
 * Whether `rec` can be framed: its boot id and stream fit their length fields, and its payload
 * leaves room under MAX_BODY_BYTES for the header (and a quarantine reason, later).
 */
export function fitsFrame(rec: NewRecord): boolean {
  return (
    Buffer.byteLength(rec.bootId) <= 0xff &&
    Buffer.byteLength(rec.stream) <= 0xffff &&
    rec.payload.length <= MAX_BODY_BYTES - 0x20000
  );
}

/** Encodes a data record (kind 1), or a quarantined one when `q` is given (kind 2). */
export function encodeFrame(
  id: number,
  rec: NewRecord,
  q?: { reason: string; atWallMs: number },
): Uint8Array {
  const boot = utf8.encode(rec.bootId);
  const stream = utf8.encode(rec.stream);
  const reason = q ? utf8.encode(q.reason).subarray(0, 0xffff) : new Uint8Array(0);
  if (boot.length > 0xff) throw new RangeError(`bootId longer than 255 bytes`);
  if (stream.length > 0xffff) throw new RangeError(`stream name longer than 65535 bytes`);
  const fixed = FIXED_BODY_BYTES + (q ? 8 : 0);
  const bodyLen = fixed + boot.length + stream.length + reason.length + rec.payload.length;
  if (bodyLen > MAX_BODY_BYTES) throw new RangeError(`record of ${bodyLen} bytes exceeds ${MAX_BODY_BYTES}`);
  const buf = new Uint8Array(FRAME_HEADER_BYTES + bodyLen);
  const dv = new DataView(buf.buffer);
  const b = FRAME_HEADER_BYTES;
  dv.setUint32(0, bodyLen, true);
  dv.setUint8(b, q ? KIND_QUARANTINED : KIND_DATA);
  dv.setUint8(b + 1, EC_CODES.indexOf(rec.ec));
  dv.setUint16(b + 2, stream.length, true);
  dv.setUint8(b + 4, boot.length);
  dv.setUint8(b + 5, rec.expiresAtWallMs === undefined ? 0 : FLAG_EXPIRES);
  dv.setUint16(b + 6, reason.length, true);
  dv.setFloat64(b + 8, id, true);
  dv.setFloat64(b + 16, rec.createdWallMs, true);
  dv.setFloat64(b + 24, rec.createdMonoMs, true);
  dv.setFloat64(b + 32, rec.expiresAtWallMs ?? 0, true);
  let p = b + FIXED_BODY_BYTES;
  if (q) {
    dv.setFloat64(p, q.atWallMs, true);
    p += 8;
  }
  for (const part of [boot, stream, reason, rec.payload]) {
    buf.set(part, p);
    p += part.length;
  }
  dv.setUint32(4, crc32(buf, FRAME_HEADER_BYTES), true);
  return buf;
}

/** One frame read at an offset. `torn`: runs past the end; `badLength`: impossible length prefix. */
export type FrameResult =
  | { kind: 'ok'; record: StoredRecord | QuarantinedRecord; next: number }
  | { kind: 'torn' }
  | { kind: 'badLength' }
  | { kind: 'corrupt'; next: number };

/** Decodes the frame at `off` in `buf[0, end)`, verifying its checksum. */
export function readFrame(buf: Uint8Array, off: number, end = buf.length): FrameResult {
  if (end - off < FRAME_HEADER_BYTES) return { kind: 'torn' };
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const bodyLen = dv.getUint32(off, true);
  if (bodyLen < FIXED_BODY_BYTES || bodyLen > MAX_BODY_BYTES) return { kind: 'badLength' };
  const b = off + FRAME_HEADER_BYTES;
  const next = b + bodyLen;
  if (next > end) return { kind: 'torn' };
  const kind = dv.getUint8(b);
  const ec = EC_CODES[dv.getUint8(b + 1)];
  const streamLen = dv.getUint16(b + 2, true);
  const bootLen = dv.getUint8(b + 4);
  const flags = dv.getUint8(b + 5);
  const reasonLen = dv.getUint16(b + 6, true);
  const fixed = FIXED_BODY_BYTES + (kind === KIND_QUARANTINED ? 8 : 0);
  const varLen = bootLen + streamLen + (kind === KIND_QUARANTINED ? reasonLen : 0);
  const id = dv.getFloat64(b + 8, true);
  // Structure first, checksum second: cheap checks keep resynchronisation over garbage fast, and a
  // checksum only proves the bytes are what was written, so frames no writer makes are refused too.
  if (
    (kind !== KIND_DATA && kind !== KIND_QUARANTINED) ||
    ec === undefined ||
    fixed + varLen > bodyLen ||
    !Number.isSafeInteger(id) ||
    id < 1 ||
    crc32(buf, b, next) !== dv.getUint32(off + 4, true)
  ) {
    return { kind: 'corrupt', next };
  }
  let p = b + fixed;
  const take = (n: number): Uint8Array => buf.subarray(p, (p += n));
  try {
    const bootId = utf8d.decode(take(bootLen));
    const stream = utf8d.decode(take(streamLen));
    const reason = kind === KIND_QUARANTINED ? utf8d.decode(take(reasonLen)) : '';
    const payload = buf.subarray(p, next); // a view: callers get a fresh buffer per read, recovery keeps none
    const base = {
      id,
      stream,
      ec,
      createdWallMs: dv.getFloat64(b + 16, true),
      createdMonoMs: dv.getFloat64(b + 24, true),
      bootId,
      ...(flags & FLAG_EXPIRES ? { expiresAtWallMs: dv.getFloat64(b + 32, true) } : {}),
      sizeBytes: next - off - (kind === KIND_QUARANTINED ? 8 + reasonLen : 0),
      payload,
    };
    const record =
      kind === KIND_QUARANTINED
        ? { ...base, reason, quarantinedAtWallMs: dv.getFloat64(b + FIXED_BODY_BYTES, true) }
        : base;
    return { kind: 'ok', record, next };
  } catch {
    return { kind: 'corrupt', next }; // invalid UTF-8 behind a matching checksum: a writer bug, skip it
  }
}

/**
 * The payload (a view) of the data frame of record `id` at `buf[off, end)`, checked like
 * `readFrame` (structure and checksum) but without decoding the header's strings: reading back a
 * record whose header the index already holds. Undefined when the frame is not that record intact.
 */
export function dataPayloadAt(buf: Uint8Array, off: number, end: number, id: number): Uint8Array | undefined {
  if (end - off < FRAME_HEADER_BYTES + FIXED_BODY_BYTES) return undefined;
  const dv = new DataView(buf.buffer, buf.byteOffset + off, end - off);
  const bodyLen = dv.getUint32(0, true);
  const b = FRAME_HEADER_BYTES;
  const next = b + bodyLen;
  if (bodyLen < FIXED_BODY_BYTES || next > end - off) return undefined;
  const varLen = dv.getUint8(b + 4) + dv.getUint16(b + 2, true);
  const ok =
    dv.getUint8(b) === KIND_DATA &&
    EC_CODES[dv.getUint8(b + 1)] !== undefined &&
    FIXED_BODY_BYTES + varLen <= bodyLen &&
    dv.getFloat64(b + 8, true) === id &&
    crc32(buf, off + b, off + next) === dv.getUint32(4, true);
  return ok ? buf.subarray(off + b + FIXED_BODY_BYTES + varLen, off + next) : undefined;
}

/** Result of reading a whole segment (or quarantine file) body. */
export interface SegmentScan {
  records: { record: StoredRecord | QuarantinedRecord; offset: number; frameBytes: number }[];
  /** Offset where a torn tail starts (truncate there), or undefined when the file ends cleanly. */
  tornAt: number | undefined;
  /** Corrupt regions skipped (each a record or a run of garbage). */
  corrupt: number;
}

/**
 * Reads every frame from `start`. Policy on damage (documented in README.md):
 * - a frame running past the end (or trailing zeros) is a torn tail: stop, report `tornAt`;
 * - a frame with a sane length but a bad checksum is skipped by its length when a valid frame (or
 *   the end) follows; the last such frame in the file counts as torn (a write the crash cut short);
 * - otherwise (a corrupt length) resynchronise by searching forward for the next valid frame, so
 *   one flipped byte costs one record, not the rest of the segment.
 */
export function scanFrames(buf: Uint8Array, start: number): SegmentScan {
  const out: SegmentScan = { records: [], tornAt: undefined, corrupt: 0 };
  const end = buf.length;
  let off = start;
  while (off < end) {
    const r = readFrame(buf, off, end);
    if (r.kind === 'ok') {
      out.records.push({ record: r.record, offset: off, frameBytes: r.next - off });
      off = r.next;
      continue;
    }
    if (r.kind === 'torn' || allZero(buf, off, end) || (r.kind === 'corrupt' && r.next === end)) {
      out.tornAt = off;
      break;
    }
    out.corrupt++;
    if (r.kind === 'corrupt' && readFrame(buf, r.next, end).kind === 'ok') {
      off = r.next;
      continue;
    }
    off = resync(buf, off + 1, end);
  }
  return out;
}

function resync(buf: Uint8Array, from: number, end: number): number {
  for (let p = from; p + FRAME_HEADER_BYTES <= end; p++) if (readFrame(buf, p, end).kind === 'ok') return p;
  return end;
}

function allZero(buf: Uint8Array, from: number, end: number): boolean {
  for (let i = from; i < end; i++) if (buf[i] !== 0) return false;
  return true;
}

/** True when `buf` starts with the segment magic. */
export function hasSegmentMagic(buf: Uint8Array): boolean {
  return buf.length >= SEGMENT_MAGIC.length && SEGMENT_MAGIC.every((v, i) => buf[i] === v);
}

/** Encodes ack entries for `ids`. */
export function encodeAcks(ids: readonly number[]): Uint8Array {
  const buf = new Uint8Array(ids.length * ACK_ENTRY_BYTES);
  const dv = new DataView(buf.buffer);
  ids.forEach((id, i) => {
    const o = i * ACK_ENTRY_BYTES;
    dv.setFloat64(o, id, true);
    dv.setUint32(o + 8, crc32(buf, o, o + 8), true);
  });
  return buf;
}

/** Decodes an ack file; entries failing their checksum and a torn trailing entry are counted as `bad`. */
export function decodeAcks(buf: Uint8Array): { ids: Set<number>; bad: number } {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const ids = new Set<number>();
  let bad = buf.length % ACK_ENTRY_BYTES === 0 ? 0 : 1;
  for (let o = 0; o + ACK_ENTRY_BYTES <= buf.length; o += ACK_ENTRY_BYTES) {
    if (crc32(buf, o, o + 8) === dv.getUint32(o + 8, true)) ids.add(dv.getFloat64(o, true));
    else bad++;
  }
  return { ids, bad };
}

/** CRC-32 (zlib's, IEEE) of `data[start, end)`, as an unsigned 32-bit integer. */
function crc32(data: Uint8Array, start = 0, end = data.length): number {
  return zlibCrc32(data.subarray(start, end));
}

function utf8Length(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
