/**
 * Attribute policies: which attributes a client may send in CREATE and UPDATE, which are
 * mandatory, and their JSON types (TS-0004 clause 7.4 tables, onem2m-reference section 4). An
 * attribute not in the policy, a read-only one, or one of the wrong type is a 4000 BAD_REQUEST,
 * as in ACME.
 */
import { Rsc } from '../protocol/codes.js';
import { parseOneM2MTime } from '../protocol/timestamp.js';
import { isPlainObject } from '../protocol/validate.js';
import { refuse } from './errors.js';

/** JSON type of an attribute value; `any` skips the check. */
export type AttrType = 'string' | 'number' | 'boolean' | 'string[]' | 'object' | 'timestamp' | 'any';

/** C: create optionality (M mandatory, O optional, NP not permitted); U: update (O or NP). */
export interface AttrRule {
  readonly type: AttrType;
  readonly c: 'M' | 'O' | 'NP';
  readonly u: 'O' | 'NP';
}

export type AttributePolicy = Readonly<Record<string, AttrRule>>;

const O_O = (type: AttrType): AttrRule => ({ type, c: 'O', u: 'O' });
const M_O = (type: AttrType): AttrRule => ({ type, c: 'M', u: 'O' });
const M_NP = (type: AttrType): AttrRule => ({ type, c: 'M', u: 'NP' });
const O_NP = (type: AttrType): AttrRule => ({ type, c: 'O', u: 'NP' });

/** Universal and common attributes a client may write (TS-0004 7.4.1). `cr` only as NULL in CREATE. */
export const COMMON_POLICY: AttributePolicy = {
  rn: O_NP('string'),
  et: O_O('timestamp'),
  lbl: O_O('string[]'),
  acpi: O_O('string[]'),
  at: O_O('string[]'),
  aa: O_O('string[]'),
  daci: O_O('string[]'),
  cr: O_NP('any'),
};

export const AE_POLICY: AttributePolicy = {
  api: M_NP('string'),
  apn: O_O('string'),
  poa: O_O('string[]'),
  rr: M_O('boolean'),
  srv: M_O('string[]'),
  csz: O_O('string[]'),
  nl: O_O('string'),
  or: O_O('string'),
  regs: O_O('any'),
  trps: O_O('boolean'),
  scp: O_O('any'),
  ape: O_O('any'),
  tren: O_O('any'),
  mei: O_O('string'),
  tri: O_O('string'),
  trn: O_O('number'),
  esi: O_O('any'),
};

export const CONTAINER_POLICY: AttributePolicy = {
  mni: O_O('number'),
  mbs: O_O('number'),
  mia: O_O('number'),
  li: O_O('string'),
  or: O_O('string'),
  disr: O_O('boolean'),
};

export const CONTENT_INSTANCE_POLICY: AttributePolicy = {
  con: { type: 'any', c: 'M', u: 'NP' },
  cnf: O_NP('string'),
  conr: O_NP('string'),
  or: O_NP('string'),
  dcnt: O_NP('any'),
};

export const SUBSCRIPTION_POLICY: AttributePolicy = {
  nu: M_O('string[]'),
  enc: O_O('object'),
  nct: O_O('number'),
  exc: O_O('number'),
  su: O_NP('string'),
  nfu: O_O('string[]'),
  gpi: O_O('string'),
  bn: O_O('object'),
  rl: O_O('object'),
  psn: O_O('number'),
  pn: O_O('number'),
  nsp: O_O('number'),
  ln: O_O('boolean'),
  nec: O_O('number'),
  acrs: O_O('string[]'),
};

export const SCHEDULE_POLICY: AttributePolicy = {
  se: M_O('object'),
  nco: O_O('boolean'),
};

export const REMOTE_CSE_POLICY: AttributePolicy = {
  cb: M_O('string'),
  csi: O_NP('string'),
  cst: O_NP('number'),
  poa: O_O('string[]'),
  rr: M_O('boolean'),
  srv: M_O('string[]'),
  csz: O_O('string[]'),
  nl: O_O('string'),
  dcse: O_O('string[]'),
  mtcc: O_O('any'),
  egid: O_O('string'),
  mei: O_O('string'),
  tri: O_O('string'),
  trn: O_O('number'),
  tren: O_O('any'),
  ape: O_O('any'),
  esi: O_O('any'),
};

function typeOk(v: unknown, t: AttrType): boolean {
  switch (t) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'string[]':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
    case 'object':
      return isPlainObject(v);
    case 'timestamp':
      return typeof v === 'string' && parseOneM2MTime(v) !== undefined;
  }
}

/**
 * Checks the attributes of a CREATE (`op: 'c'`) or UPDATE (`'u'`) against the type's policy plus
 * the common one. `null` in UPDATE deletes an optional attribute (TS-0004 8.3); in CREATE only
 * `cr: null` is meaningful.
 */
export function checkAttributes(
  attrs: Readonly<Record<string, unknown>>,
  policy: AttributePolicy,
  op: 'c' | 'u',
  resourceName: string,
): void {
  for (const [name, value] of Object.entries(attrs)) {
    const rule = policy[name] ?? COMMON_POLICY[name];
    if (!rule)
      throw refuse(Rsc.BAD_REQUEST, `attribute ${name} is not a writable attribute of ${resourceName}`);
    const allowed = op === 'c' ? rule.c !== 'NP' : rule.u !== 'NP';
    if (!allowed)
      throw refuse(Rsc.BAD_REQUEST, `attribute ${name} of ${resourceName} may not be set in ${opName(op)}`);
    if (name === 'cr') {
      if (value !== null)
        throw refuse(Rsc.BAD_REQUEST, 'cr may only be sent as null (TS-0004 7.4.1: the CSE sets it)');
      continue;
    }
    if (value === null) {
      if (op === 'c' || rule.c === 'M')
        throw refuse(Rsc.BAD_REQUEST, `attribute ${name} of ${resourceName} cannot be null`);
      continue;
    }
    if (!typeOk(value, rule.type))
      throw refuse(Rsc.BAD_REQUEST, `attribute ${name} of ${resourceName} must be ${rule.type}`);
  }
  if (op === 'c') {
    for (const [name, rule] of Object.entries(policy)) {
      if (rule.c === 'M' && attrs[name] === undefined)
        throw refuse(Rsc.BAD_REQUEST, `mandatory attribute ${name} of ${resourceName} is missing`);
    }
  }
}

function opName(op: 'c' | 'u'): string {
  return op === 'c' ? 'CREATE' : 'UPDATE';
}

/** A non-negative integer attribute (mni, mbs, mia, exc...) or 4000. */
export function checkNonNegativeInt(value: unknown, name: string): void {
  if (value === undefined || value === null) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw refuse(Rsc.BAD_REQUEST, `${name} must be a non-negative integer`);
}
