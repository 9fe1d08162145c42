/**
 * The request that uploads one reading: a CREATE of a `<contentInstance>` whose `con` is a SenML
 * (RFC 8428) pack of the reading's values. `fr`, `rqi`, `rvi` and the container are bound by the
 * caller at send time (design.md, main loop step 3).
 *
 * SenML: the sampling time
 * goes in `bt` (seconds, to the millisecond), so a reading that waited in the outbox still says
 * when it was taken. Packs are minimal: a single reading's name is its base name alone
 * (`<device>:<reading>`, RFC 8428 4.5.1 concatenates `bn` and an absent `n`).
 */
import { Encoder } from 'cbor-x';
import type { ContentFormat } from '../config/types.js';
import {
  EVENT_CATEGORY_BY_NAME,
  Operation,
  ResourceType,
  ResultContent,
  type EventCategoryName,
} from '../protocol/codes.js';
import type { RequestPrimitive } from '../protocol/primitive.js';
import type { SampledValue } from './reading-queue.js';

/** What a reading's CREATE binds at send time besides its content. */
export interface ReadingRequestBinding {
  /** The device's container. */
  readonly to: string;
  readonly fr: string;
  readonly rqi: string;
  readonly rvi: string;
  readonly ec: EventCategoryName;
  readonly format: ContentFormat;
  /** Resource name of the contentInstance, for idempotent uploads. */
  readonly rn?: string;
}

/**
 * The create-contentInstance request of one reading. `ec` bestEffort is left out (as in
 * resources.ts `createRequest`): a CSE handles a request without `ec` by its default policy,
 * which is best effort; immediate and latest say something and are sent.
 */
export function readingRequest(
  device: string,
  values: readonly SampledValue[],
  sampledWallMs: number,
  bind: ReadingRequestBinding,
): RequestPrimitive {
  const cin: Record<string, unknown> = senmlContent(toSenml(device, values, sampledWallMs), bind.format);
  // Idempotent uploads: a retry after a lost response meets 4105 instead of creating a duplicate.
  if (bind.rn !== undefined) cin.rn = bind.rn;
  const ec = EVENT_CATEGORY_BY_NAME[bind.ec];
  return {
    op: Operation.Create,
    to: bind.to,
    fr: bind.fr,
    rqi: bind.rqi,
    rvi: bind.rvi,
    ty: ResourceType.ContentInstance,
    pc: { 'm2m:cin': cin },
    ...(ec === EVENT_CATEGORY_BY_NAME.bestEffort ? {} : { ec }),
    // rcn 0 (nothing): the created reading is not echoed back, which saves ~150 bytes per
    // reading on the downlink and the registrar's work of rendering it.
    rcn: ResultContent.Nothing,
  };
}

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
export function toSenml(device: string, readings: readonly SampledValue[], timeMs: number): SenmlRecord[] {
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
