/**
 * Request and response primitives (TS-0004 clause 6.4), with oneM2M short names as keys.
 * A JSON/CBOR primitive is a request when it has `op`, a response when it has `rsc`.
 */
import type { Operation } from './codes.js';

/** Resource content, keyed by `m2m:<type>` (e.g. `{ "m2m:cin": { con: ... } }`). */
export type Content = Readonly<Record<string, unknown>>;

/** absRelTimestamp: a oneM2M timestamp, or a relative offset in ms. */
export type AbsRelTimestamp = string | number;

/** Response type (`rt`). */
export interface ResponseTypeInfo {
  /** Response type value. */
  readonly rtv: number;
  /** Notification URIs (only with rtv 2). */
  readonly nu?: readonly string[];
}

export interface RequestPrimitive {
  /** Operation. */
  readonly op: Operation;
  /** To: target resource id. */
  readonly to: string;
  /** From: originator (AE-ID stem or CSE-ID); optional only for AE registration. */
  readonly fr?: string;
  /** Request identifier. */
  readonly rqi: string;
  /** Release version indicator (a string: "2a", "3", ...). */
  readonly rvi?: string;
  /** Resource type (CREATE only). */
  readonly ty?: number;
  /** Content. */
  readonly pc?: Content;
  /** Originating timestamp. */
  readonly ot?: string;
  /** Request expiration timestamp. */
  readonly rqet?: AbsRelTimestamp;
  /** Result expiration timestamp. */
  readonly rset?: AbsRelTimestamp;
  /** Operation execution time. */
  readonly oet?: AbsRelTimestamp;
  /** Response type. */
  readonly rt?: ResponseTypeInfo;
  /** Result persistence. */
  readonly rp?: AbsRelTimestamp;
  /** Result content. */
  readonly rcn?: number;
  /** Event category. */
  readonly ec?: number;
  /** Delivery aggregation. */
  readonly da?: boolean;
  /** Group request identifier. */
  readonly gid?: string;
  /** Filter criteria. */
  readonly fc?: Readonly<Record<string, unknown>>;
  /** Desired identifier result type. */
  readonly drt?: number;
  /** Semantic query indicator. */
  readonly sqi?: boolean;
  /** Vendor information. */
  readonly vsi?: string;
  /** Role IDs. */
  readonly rids?: readonly string[];
  /** Tokens. */
  readonly tkns?: readonly string[];
  /** Token IDs. */
  readonly tids?: readonly string[];
  /** Local token IDs. */
  readonly ltids?: readonly string[];
  /** Token request indicator. */
  readonly tqi?: boolean;
  /** Group request target members. */
  readonly grtm?: readonly string[];
  /** maxAge (R4+). */
  readonly ma?: string;
}

export interface ResponsePrimitive {
  /** Response status code. */
  readonly rsc: number;
  /** Request identifier (echoes the request). */
  readonly rqi: string;
  /** Release version indicator. */
  readonly rvi?: string;
  /** Content. */
  readonly pc?: Content;
  /** To. */
  readonly to?: string;
  /** From. */
  readonly fr?: string;
  /** Originating timestamp. */
  readonly ot?: string;
  /** Result expiration timestamp. */
  readonly rset?: AbsRelTimestamp;
  /** Event category. */
  readonly ec?: number;
  /** Content status. */
  readonly cnst?: number;
  /** Content offset. */
  readonly cnot?: number;
  /** Assigned token IDs. */
  readonly ati?: readonly string[];
  /** Token request information. */
  readonly tqf?: Readonly<Record<string, unknown>>;
  /** Authorization signature request information. */
  readonly asri?: Readonly<Record<string, unknown>>;
  /** Vendor information. */
  readonly vsi?: string;
}

export type Primitive = RequestPrimitive | ResponsePrimitive;

export function isRequest(p: Primitive): p is RequestPrimitive {
  return 'op' in p;
}

export function isResponse(p: Primitive): p is ResponsePrimitive {
  return 'rsc' in p;
}

/** Builds a response to `req` carrying its `rqi` and `rvi` (every response must). */
export function responseTo(
  req: Pick<RequestPrimitive, 'rqi' | 'rvi'>,
  rsc: number,
  pc?: Content,
  extra: Partial<ResponsePrimitive> = {},
): ResponsePrimitive {
  return {
    rsc,
    rqi: req.rqi,
    ...(req.rvi === undefined ? {} : { rvi: req.rvi }),
    ...(pc === undefined ? {} : { pc }),
    ...extra,
  };
}

/** An error response with the usual `m2m:dbg` text. */
export function errorResponse(
  req: Pick<RequestPrimitive, 'rqi' | 'rvi'>,
  rsc: number,
  dbg: string,
): ResponsePrimitive {
  return responseTo(req, rsc, { 'm2m:dbg': dbg });
}
