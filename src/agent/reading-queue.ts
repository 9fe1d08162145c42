/**
 * A buffered reading: its outbox record, and the queue that appends it and hands it back to the
 * uplink (like paho's autopaho, whose queue holds the record it will send). The agent appends
 * readings (`agentOutbox`), the uplink drains them (`outboxQueue`).
 *
 * The outbox record of a reading: one record per pack of readings sampled together:
 *
 * - the outbox frame's header holds the device (its `stream`), the event category and the one
 *   sampling stamp (wall ms, monotonic ms, boot id): expiry and the uplink both read that stamp;
 * - the payload holds the values with their units, in a compact versioned layout (below).
 *
 * `fr`, the absolute `to`, `rqi`, `rvi` and the link's serialization are bound only when it is
 * sent (design.md, main loop step 3).
 *
 * Payload layout, version 1 (little-endian):
 *
 *   u8 version (1) | u16 count | count × value
 *   value: u8 type (0 number, 1 false, 2 true, 3 string) | u16 nameBytes | name
 *          | u16 unitBytes | unit | [f64 number | u32 textBytes text]
 *
 * A payload starting with `{` (0x7b) is a 0.1.0 record: the pending upload as JSON, whose stamp
 * and device repeat the header's; only its readings are read.
 */
import type { Reading } from '../drivers/types.js';
import type { Outbox } from '../outbox/index.js';
import type { EventCategoryName } from '../protocol/codes.js';
import type { TimeStamp } from '../util/clock-jump.js';
import type { AgentOutbox } from './agent.js';
import type { AsnNode } from './asn/node.js';
import { PendingUploadCorruptError } from './errors.js';
import type { UplinkQueue } from './uplink.js';

/** One value of a reading as stored and sent: name, value, unit. */
export type SampledValue = Pick<Reading, 'n' | 'v' | 'vb' | 'vs' | 'u'>;

/** A reading on its way to the registrar, as the agent hands it to the outbox. */
export interface ReadingRecord {
  /** Device (stream) name: the container it goes to. */
  readonly device: string;
  readonly values: readonly SampledValue[];
  /** When it was sampled: wall ms, the monotonic clock then, and the boot that clock belongs to. */
  readonly sampledAt: TimeStamp;
}

/** The payload layout this code writes. */
export const READING_RECORD_VERSION = 1;
/** First byte of a 0.1.0 payload (JSON text). */
const LEGACY_JSON_START = 0x7b;

const T_NUMBER = 0;
const T_FALSE = 1;
const T_TRUE = 2;
const T_STRING = 3;
const U16_MAX = 0xffff;

const utf8 = new TextEncoder();
const utf8d = new TextDecoder('utf-8', { fatal: true });

/** The payload of a record: the values with their units. */
export function encodeReadingValues(values: readonly SampledValue[]): Uint8Array {
  if (values.length > U16_MAX) throw new RangeError(`more than ${U16_MAX} values in one reading`);
  const parts = values.map((r) => ({
    r,
    name: utf8.encode(r.n),
    unit: utf8.encode(r.u ?? ''),
    text: r.v === undefined && r.vb === undefined && r.vs !== undefined ? utf8.encode(r.vs) : undefined,
  }));
  let size = 3;
  for (const p of parts) {
    if (p.name.length > U16_MAX || p.unit.length > U16_MAX)
      throw new RangeError('reading name or unit too long');
    size += 5 + p.name.length + p.unit.length + (p.text ? 4 + p.text.length : p.r.v !== undefined ? 8 : 0);
  }
  const buf = new Uint8Array(size);
  const dv = new DataView(buf.buffer);
  buf[0] = READING_RECORD_VERSION;
  dv.setUint16(1, values.length, true);
  let o = 3;
  for (const { r, name, unit, text } of parts) {
    buf[o] = r.v !== undefined ? T_NUMBER : r.vb !== undefined ? (r.vb ? T_TRUE : T_FALSE) : T_STRING;
    dv.setUint16(o + 1, name.length, true);
    buf.set(name, o + 3);
    o += 3 + name.length;
    dv.setUint16(o, unit.length, true);
    buf.set(unit, o + 2);
    o += 2 + unit.length;
    if (r.v !== undefined) {
      dv.setFloat64(o, r.v, true);
      o += 8;
    } else if (text) {
      dv.setUint32(o, text.length, true);
      buf.set(text, o + 4);
      o += 4 + text.length;
    }
  }
  return buf;
}

/** The values of a stored payload, of this version or of 0.1.0; `PENDING_UPLOAD_CORRUPT` otherwise. */
export function decodeReadingValues(bytes: Uint8Array): SampledValue[] {
  if (bytes[0] === LEGACY_JSON_START) return decodeLegacyJson(bytes);
  if (bytes[0] !== READING_RECORD_VERSION)
    throw new PendingUploadCorruptError(`unknown reading record version ${String(bytes[0])}`);
  try {
    return decodeVersion1(bytes);
  } catch (err) {
    throw new PendingUploadCorruptError(`reading record is damaged: ${(err as Error).message}`);
  }
}

function decodeVersion1(bytes: Uint8Array): SampledValue[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let o = 1; // DataView throws past the end; `text` checks its own bound
  const u16 = (): number => {
    o += 2;
    return dv.getUint16(o - 2, true);
  };
  const text = (len: number): string => {
    if (o + len > bytes.length) throw new RangeError('record ends early');
    return utf8d.decode(bytes.subarray(o, (o += len)));
  };
  const count = u16();
  const out: SampledValue[] = [];
  for (let i = 0; i < count; i++) {
    const type = dv.getUint8(o++);
    const n = text(u16());
    const u = text(u16());
    const unit = u === '' ? {} : { u };
    if (type === T_NUMBER) {
      out.push({ n, v: dv.getFloat64(o, true), ...unit });
      o += 8;
    } else if (type === T_FALSE || type === T_TRUE) {
      out.push({ n, vb: type === T_TRUE, ...unit });
    } else if (type === T_STRING) {
      const len = dv.getUint32(o, true);
      o += 4;
      out.push({ n, vs: text(len), ...unit });
    } else {
      throw new RangeError(`unknown value type ${type}`);
    }
  }
  return out;
}

/** 0.1.0: `{"device","readings","timeMs","monoMs","bootId"}`; the header holds the same device and stamp. */
function decodeLegacyJson(bytes: Uint8Array): SampledValue[] {
  let raw: unknown;
  try {
    raw = JSON.parse(utf8d.decode(bytes));
  } catch (err) {
    throw new PendingUploadCorruptError(`0.1.0 pending upload is not JSON: ${(err as Error).message}`);
  }
  const readings = (raw as { readings?: unknown } | null)?.readings;
  if (!Array.isArray(readings) || !readings.every(isSampledValue))
    throw new PendingUploadCorruptError('0.1.0 pending upload lacks its readings');
  return readings;
}

function isSampledValue(x: unknown): x is SampledValue {
  return typeof x === 'object' && x !== null && typeof (x as { n?: unknown }).n === 'string';
}

/** The outbox as the uplink drains it. */
export function outboxQueue(outbox: Outbox): UplinkQueue {
  return {
    next: async (n, skip, skipStreams) => outbox.next(n, skip, skipStreams),
    ack: async (id) => {
      await outbox.ack(id);
    },
    reject: async (id, reason) => {
      await outbox.reject(id, reason);
    },
    waitForAppend: (signal) =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          off();
          signal.removeEventListener('abort', done);
          resolve();
        };
        const off = outbox.onAppended(done);
        signal.addEventListener('abort', done, { once: true });
      }),
  };
}

/** The outbox as the agent appends to it; in the ASN role readings pass through the local CSE. */
export function agentOutbox(outbox: Outbox, asn: AsnNode | undefined): AgentOutbox {
  return {
    append: async (record: ReadingRecord, ec: EventCategoryName) => {
      // ASN role: every reading is stored locally; only `push` devices also go upstream.
      if (asn && !(await asn.record(record))) return;
      // The device and the sampling stamp go in the record's header, the values in its payload.
      await outbox.append({
        stream: record.device,
        ec,
        payload: encodeReadingValues(record.values),
        sampledAt: record.sampledAt,
      });
    },
    hasImmediate: () => outbox.hasImmediate(),
    depth: () => outbox.stats().depth,
  };
}
