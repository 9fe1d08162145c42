/** Small request builders and flows shared by the registrar tests. */
import { xmlCodec, type Serialization } from '../../../src/codec/index.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../../src/protocol/primitive.js';
import type { PlainClient } from '../../helpers/plain-client.js';

/** Why XML cases are skipped, or false when the XML codec works. */
export function xmlSkipReason(): string | false {
  try {
    xmlCodec.decode(xmlCodec.encode({ rsc: 2000, rqi: 'probe', rvi: '3' }));
    return false;
  } catch (err) {
    return `the XML codec is not usable yet (${(err as Error).message})`;
  }
}

/** The subprotocols a test matrix runs over, with a skip reason where one applies. */
export const MATRIX: readonly { readonly s: Serialization; readonly skip: string | false }[] = [
  { s: 'cbor', skip: false },
  { s: 'json', skip: false },
  { s: 'xml', skip: xmlSkipReason() },
];

let seq = 0;

/** An `<AE>` CREATE (registration) with the mandatory `rr` and `srv`. */
export function aeCreate(
  rn: string,
  fr: string | undefined,
  extra: Readonly<Record<string, unknown>> = {},
  to = 'cse-in',
): RequestPrimitive {
  return {
    op: 1,
    to,
    ...(fr === undefined ? {} : { fr }),
    rqi: `reg${++seq}`,
    rvi: '3',
    ty: 2,
    pc: { 'm2m:ae': { rn, api: 'Nm2m-test', rr: true, srv: ['3'], ...extra } },
  };
}

/** A CREATE of any type. */
export function create(
  to: string,
  fr: string,
  ty: number,
  short: string,
  attrs: Readonly<Record<string, unknown>>,
): RequestPrimitive {
  return { op: 1, to, fr, rqi: `c${++seq}`, rvi: '3', ty, pc: { [`m2m:${short}`]: attrs } };
}

export function retrieve(to: string, fr: string, extra: Partial<RequestPrimitive> = {}): RequestPrimitive {
  return { op: 2, to, fr, rqi: `r${++seq}`, rvi: '3', ...extra };
}

export function del(to: string, fr: string, extra: Partial<RequestPrimitive> = {}): RequestPrimitive {
  return { op: 4, to, fr, rqi: `d${++seq}`, rvi: '3', ...extra };
}

/** The resource under `m2m:<short>` in a response. */
export function body(rsp: ResponsePrimitive, short: string): Record<string, unknown> {
  const b = rsp.pc?.[`m2m:${short}`];
  if (typeof b !== 'object' || b === null)
    throw new Error(`response has no m2m:${short}: ${JSON.stringify(rsp)}`);
  return b as Record<string, unknown>;
}

/** Registers an AE on `client` and returns its AE-ID. */
export async function register(
  client: PlainClient,
  rn: string,
  fr?: string,
  extra: Readonly<Record<string, unknown>> = {},
): Promise<string> {
  const rsp = await client.request(aeCreate(rn, fr, extra));
  if (rsp.rsc !== 2001) throw new Error(`registration of ${rn} failed: ${JSON.stringify(rsp)}`);
  const aei = body(rsp, 'ae').aei;
  if (typeof aei !== 'string') throw new Error('no aei');
  return aei;
}

/** The offer for one serialization. */
export function offer(s: Serialization): string {
  return `oneM2M.${s}`;
}

/** A copy of `o` without `key`. */
export function omit(o: object, key: string): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([k]) => k !== key));
}
