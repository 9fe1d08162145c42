/**
 * The JSON type of every primitive parameter (TS-0004 clause 8 / onem2m-reference section 1).
 * One table serves validation and the XML codec, which must turn element text back into the
 * right type.
 */
export type ParamType = 'number' | 'string' | 'boolean' | 'object' | 'absrel' | 'string[]';

/** Request parameters. */
export const REQUEST_PARAMS: Readonly<Record<string, ParamType>> = {
  op: 'number',
  to: 'string',
  fr: 'string',
  rqi: 'string',
  rvi: 'string',
  ty: 'number',
  pc: 'object',
  ot: 'string',
  rqet: 'absrel',
  rset: 'absrel',
  oet: 'absrel',
  rt: 'object',
  rp: 'absrel',
  rcn: 'number',
  ec: 'number',
  da: 'boolean',
  gid: 'string',
  fc: 'object',
  drt: 'number',
  sqi: 'boolean',
  vsi: 'string',
  rids: 'string[]',
  tkns: 'string[]',
  tids: 'string[]',
  ltids: 'string[]',
  tqi: 'boolean',
  grtm: 'string[]',
  ma: 'string',
  asi: 'object',
  aus: 'object',
  auri: 'boolean',
};

/** Response parameters. */
export const RESPONSE_PARAMS: Readonly<Record<string, ParamType>> = {
  rsc: 'number',
  rqi: 'string',
  rvi: 'string',
  pc: 'object',
  to: 'string',
  fr: 'string',
  ot: 'string',
  rset: 'absrel',
  ec: 'number',
  cnst: 'number',
  cnot: 'number',
  ati: 'string[]',
  tqf: 'object',
  asri: 'object',
  vsi: 'string',
};

/** Parameter order of the XSD (`m2m:rqp` / `m2m:rsp` sequence), used when writing XML. */
export const REQUEST_PARAM_ORDER = Object.keys(REQUEST_PARAMS);
export const RESPONSE_PARAM_ORDER = Object.keys(RESPONSE_PARAMS);
