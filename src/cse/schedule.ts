/**
 * `<schedule>` (ty 18): `se` = `{ sce: [scheduleEntry...] }`, each entry seven space-separated
 * fields `second minute hour day-of-month month day-of-week year` (TS-0001 9.6.9,
 * onem2m-reference section 8). The registrar stores and validates them; it does not act on them.
 * `nco` is only meaningful under `<node>` (4102 elsewhere).
 */
import { ResourceType, Rsc } from '../protocol/codes.js';
import { isPlainObject } from '../protocol/validate.js';
import { SCHEDULE_POLICY } from './attributes.js';
import { checkedTypeHandler, type TypeHandler } from './context.js';
import { refuse } from './errors.js';
import type { ResourceNode } from './tree.js';

/** Where a `<schedule>` may be created: liberal, as the registrar stores schedules and never acts on them. */
const SCHEDULE_PARENTS = [
  ResourceType.CSEBase,
  ResourceType.AE,
  ResourceType.RemoteCSE,
  ResourceType.Subscription,
];

/** The `<schedule>` handler. */
export const scheduleHandler: TypeHandler = checkedTypeHandler({
  ty: ResourceType.Schedule,
  short: 'sch',
  policy: SCHEDULE_POLICY,
  parents: SCHEDULE_PARENTS,
  check: checkSchedule,
});

function checkSchedule(attrs: Readonly<Record<string, unknown>>, parent: ResourceNode | undefined): void {
  if (attrs.nco !== undefined && attrs.nco !== null && parent?.ty !== ResourceType.Node)
    throw refuse(Rsc.CONTENTS_UNACCEPTABLE, 'nco is only allowed on a <schedule> under <node>');
  if (attrs.se === undefined || attrs.se === null) return;
  const se = attrs.se;
  if (!isPlainObject(se) || !Array.isArray(se.sce) || !se.sce.every((x) => typeof x === 'string'))
    throw refuse(Rsc.BAD_REQUEST, 'se must be {"sce": [scheduleEntry, ...]}');
  for (const entry of se.sce) {
    const problem = scheduleEntryProblem(entry);
    if (problem !== undefined) throw refuse(Rsc.BAD_REQUEST, `scheduleEntry "${entry}": ${problem}`);
  }
}

const FIELDS: readonly (readonly [string, number, number])[] = [
  ['second', 0, 59],
  ['minute', 0, 59],
  ['hour', 0, 23],
  ['day of month', 1, 31],
  ['month', 1, 12],
  ['day of week', 0, 6],
  ['year', 2000, 9999],
];

/** Why a scheduleEntry is malformed, or undefined when it is fine. */
export function scheduleEntryProblem(entry: string): string | undefined {
  const fields = entry.trim().split(/\s+/);
  if (fields.length !== 7) return `expected 7 fields, got ${fields.length}`;
  for (let i = 0; i < 7; i++) {
    const [name, min, max] = FIELDS[i] ?? ['?', 0, 0];
    for (const part of (fields[i] ?? '').split(',')) {
      if (!partOk(part, min, max)) return `${name} field "${fields[i] ?? ''}" is not valid (${min}-${max})`;
    }
  }
  return undefined;
}

function partOk(part: string, min: number, max: number): boolean {
  const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
  if (!m) return false;
  const [, all, a, b, step] = m;
  const inRange = (s: string | undefined): boolean =>
    s === undefined || (Number(s) >= min && Number(s) <= max);
  if (step !== undefined && Number(step) < 1) return false;
  if (step !== undefined && all !== '*' && b === undefined) return false;
  if (!inRange(a) || !inRange(b)) return false;
  return !(a !== undefined && b !== undefined && Number(a) > Number(b));
}
