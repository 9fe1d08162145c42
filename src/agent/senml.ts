/**
 * Readings to SenML (RFC 8428) packs, the `con` of each `<contentInstance>`. The sampling time
 * goes in `bt` (seconds, to the millisecond), so a reading that waited in the outbox still says
 * when it was taken. Packs are minimal: a single reading's name is its base name alone
 * (`<device>:<reading>`, RFC 8428 4.5.1 concatenates `bn` and an absent `n`).
 */
import { Encoder } from 'cbor-x';
import type { Reading } from '../drivers/types.js';
import type { ContentFormat } from '../config/types.js';

/** A SenML record as JSON (RFC 8428 clause 4). */
export interface SenmlRecord {
  bn?: string;
  bt?: number;
  n?: string;
  u?: string;
  v?: number;
  vb?: boolean;
  vs?: string;
  t?: number;
}

/**
 * Builds one pack for readings sampled together: base name `<device>:` (`<device>:<reading>` for
 * a single reading), base time = sampling time rounded to the millisecond.
 */
export function toSenml(
  device: string,
  readings: readonly Pick<Reading, 'n' | 'v' | 'vb' | 'vs' | 'u'>[],
  timeMs: number,
): SenmlRecord[] {
  const single = readings.length === 1;
  return readings.map((r, i) => {
    const rec: SenmlRecord = {};
    if (i === 0) {
      rec.bn = single ? `${device}:${r.n ?? ''}` : `${device}:`;
      rec.bt = Math.round(timeMs) / 1000;
    }
    if (r.n && !single) rec.n = r.n;
    if (r.u) rec.u = r.u;
    if (r.v !== undefined) rec.v = r.v;
    else if (r.vb !== undefined) rec.vb = r.vb;
    else if (r.vs !== undefined) rec.vs = r.vs;
    return rec;
  });
}

/** SenML CBOR labels (RFC 8428 table 6). */
const CBOR_LABEL: Record<keyof SenmlRecord, number> = {
  bn: -2,
  bt: -3,
  n: 0,
  u: 1,
  v: 2,
  vs: 3,
  vb: 4,
  t: 6,
};

/**
 * Plain RFC 8949 maps with integer keys: no tag 259 (cbor-x's marker for a non-string-keyed map).
 * `useTag259ForMaps` is a cbor-x option its type declarations leave out (encode.js reads it).
 */
const senmlEncoder = new Encoder({
  useRecords: false,
  mapsAsObjects: true,
  useTag259ForMaps: false,
} as ConstructorParameters<typeof Encoder>[0]);

/**
 * The `cnf` and `con` of a contentInstance. `con` is always a string (the type every CSE accepts):
 * SenML JSON text (`cnf` encoding 0, plain), or SenML CBOR in base64 (encoding 2, binary).
 */
export function senmlContent(
  pack: readonly SenmlRecord[],
  format: ContentFormat,
): { cnf: string; con: string } {
  if (format === 'senml+cbor') {
    const records = pack.map((r) => {
      const m = new Map<number, unknown>();
      for (const [k, v] of Object.entries(r)) m.set(CBOR_LABEL[k as keyof SenmlRecord], v);
      return m;
    });
    return {
      cnf: 'application/senml+cbor:2',
      con: Buffer.from(senmlEncoder.encode(records)).toString('base64'),
    };
  }
  return { cnf: 'application/senml+json:0', con: JSON.stringify(pack) };
}
