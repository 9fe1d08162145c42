/**
 * Validation of decoded input: whatever a codec produced enters as `unknown` and leaves as a
 * `Primitive` whose known parameters have the right types, or a `PrimitiveInvalidError`.
 * Unknown parameters are kept (liberal in what we accept); known ones are never half-valid.
 */
import { PrimitiveInvalidError } from './errors.js';
import { REQUEST_PARAMS, RESPONSE_PARAMS, type ParamType } from './parameters.js';
import type { Primitive } from './primitive.js';
import { isPlainObject } from '../util/plain-object.js';

/** Re-exported for this layer's modules: the one definition lives in util/. */
export { isPlainObject };

function typeOk(v: unknown, t: ParamType): boolean {
  switch (t) {
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'string':
      return typeof v === 'string';
    case 'boolean':
      return typeof v === 'boolean';
    case 'object':
      return isPlainObject(v);
    case 'absrel':
      return typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/**
 * ACME's internal operation code for a discovery (its `Operation.DISCOVERY`), which it puts on the
 * wire when it forwards a RETRIEVE with `fc.fu` 1 to a registered CSE. Not a TS-0004 value.
 */
export const ACME_DISCOVERY_OP = -2;

// The parameter tables as lists, made once: every frame received is checked against one.
const REQUEST_CHECKS = Object.entries(REQUEST_PARAMS);
const RESPONSE_CHECKS = Object.entries(RESPONSE_PARAMS);

/** Checks a decoded message and returns it typed as a primitive, or throws `PrimitiveInvalidError`. */
export function validatePrimitive(input: unknown): Primitive {
  if (!isPlainObject(input))
    throw new PrimitiveInvalidError(`a primitive must be an object, got ${describe(input)}`);
  // Served as the discovery it is: a RETRIEVE with fu 1 (no standard registrar sends op -2).
  const data =
    input.op === ACME_DISCOVERY_OP
      ? { ...input, op: 2, fc: { ...(isPlainObject(input.fc) ? input.fc : {}), fu: 1 } }
      : input;
  const rqi = typeof data.rqi === 'string' ? data.rqi : undefined;
  const isReq = 'op' in data;
  const isRsp = 'rsc' in data;
  if (isReq && isRsp) throw new PrimitiveInvalidError('a primitive cannot carry both op and rsc', rqi);
  if (!isReq && !isRsp)
    throw new PrimitiveInvalidError('a primitive needs op (request) or rsc (response)', rqi);
  for (const [key, type] of isReq ? REQUEST_CHECKS : RESPONSE_CHECKS) {
    const v = data[key];
    if (v === undefined) continue;
    if (!typeOk(v, type))
      throw new PrimitiveInvalidError(`parameter ${key} must be ${type}, got ${describe(v)}`, rqi);
  }
  if (rqi === undefined) throw new PrimitiveInvalidError('parameter rqi (request identifier) is missing');
  if (isReq) {
    const op = data.op as number;
    if (!Number.isInteger(op) || op < 1 || op > 5)
      throw new PrimitiveInvalidError(`op must be 1..5, got ${op}`, rqi);
    if (typeof data.to !== 'string' || data.to === '')
      throw new PrimitiveInvalidError('parameter to is missing', rqi);
  } else {
    const rsc = data.rsc as number;
    if (!Number.isInteger(rsc) || rsc < 1000 || rsc > 6999)
      throw new PrimitiveInvalidError(`rsc must be a status code 1000..6999, got ${rsc}`, rqi);
  }
  return data as unknown as Primitive;
}
