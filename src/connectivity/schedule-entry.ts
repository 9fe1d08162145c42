/**
 * Parsing of one oneM2M scheduleElement entry (onem2m-reference.md section 8) into per-field value
 * sets; the window search lives in `schedule.ts`. Every problem is reported with the field, the
 * offending value and the allowed range.
 */
import type { ScheduleIssue } from './errors.js';
import {
  DOM,
  FIELDS,
  FIELD_ORDER,
  MON,
  YEAR,
  ValueSet,
  daysInMonth,
  isLeap,
  type Entry,
  type FieldSpec,
} from '../util/calendar-fields.js';

export {
  SEC,
  MIN,
  HOUR,
  DOM,
  MON,
  DOW,
  YEAR,
  ValueSet,
  daysInMonth,
  isLeap,
  type Entry,
} from '../util/calendar-fields.js';

/** Reports a problem with `value`. */
type Push = (value: string, msg: string) => void;

/** A whole number within the field's range, or undefined (reported). */
function parseNumber(s: string, spec: FieldSpec, push: Push): number | undefined {
  const range = `${spec.min}-${spec.max}`;
  if (!/^\d+$/.test(s)) {
    push(s, `"${s}" is not a number (allowed ${range})`);
    return undefined;
  }
  const n = Number(s);
  if (n < spec.min || n > spec.max) {
    push(s, `${n} is outside ${range}`);
    return undefined;
  }
  return n;
}

/** The step of `item` (`/n`; 1 without one), or undefined (reported). */
function parseStep(
  item: string,
  stepText: string | undefined,
  extra: string | undefined,
  spec: FieldSpec,
  push: Push,
): number | undefined {
  if (extra === undefined && stepText === undefined) return 1;
  const range = `${spec.min}-${spec.max}`;
  if (extra !== undefined || !/^\d+$/.test(stepText ?? '') || Number(stepText) < 1) {
    push(item, `step in "${item}" must be a whole number of at least 1 (values ${range})`);
    return undefined;
  }
  const step = Number(stepText);
  if (step > spec.max - spec.min + 1) {
    push(
      item,
      `step ${step} in "${item}" is larger than the field (${spec.max - spec.min + 1} values, ${range})`,
    );
    return undefined;
  }
  return step;
}

/** The first and last value of `base` (`*`, `a-b`, `a`; `a/n` runs to the field's end), or undefined (reported). */
function parseBounds(
  item: string,
  base: string,
  stepped: boolean,
  spec: FieldSpec,
  push: Push,
): [number, number] | undefined {
  const range = `${spec.min}-${spec.max}`;
  if (base === '*') return [spec.min, spec.max];
  if (!base.includes('-')) {
    const lo = parseNumber(base, spec, push);
    return lo === undefined ? undefined : [lo, stepped ? spec.max : lo];
  }
  const [a = '', b = '', more] = base.split('-');
  if (more !== undefined) {
    push(item, `"${item}" is not a number, range or step (allowed ${range})`);
    return undefined;
  }
  const [lo, hi] = [parseNumber(a, spec, push), parseNumber(b, spec, push)];
  if (lo === undefined || hi === undefined) return undefined;
  if (lo > hi) {
    push(item, `range ${base} is reversed (allowed ${range}; split a wrap-around into two ranges)`);
    return undefined;
  }
  return [lo, hi];
}

/** Parses one field; pushes issues and returns undefined when it is wrong. */
function parseField(text: string, spec: FieldSpec, push: Push): ValueSet | undefined {
  const bits = new Uint8Array(spec.max + 1);
  let ok = true;
  for (const item of text.split(',')) {
    if (item === '') {
      push(text, `empty list item in "${text}" (allowed ${spec.min}-${spec.max})`);
      ok = false;
      continue;
    }
    const [base = '', stepText, extra] = item.split('/');
    const step = parseStep(item, stepText, extra, spec, push);
    const bounds =
      step === undefined ? undefined : parseBounds(item, base, stepText !== undefined, spec, push);
    if (step === undefined || bounds === undefined) {
      ok = false;
      continue;
    }
    for (let v = bounds[0]; v <= bounds[1]; v += step) bits[v] = 1;
  }
  return ok ? new ValueSet(spec, bits) : undefined;
}

/** Parses one entry, collecting every problem; `index` is its position in the list. */
export function parseEntry(text: string, index: number): { entry?: Entry; issues: ScheduleIssue[] } {
  const issues: ScheduleIssue[] = [];
  const parts = text
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '');
  if (parts.length !== 7) {
    const extra = parts.length === 6 ? '; add the year field (`*` for any year)' : '';
    issues.push({
      index,
      field: 'entry',
      value: text,
      message: `expected 7 fields (${FIELD_ORDER}), got ${parts.length} in "${text}"${extra}`,
    });
    return { issues };
  }
  const sets: ValueSet[] = [];
  FIELDS.forEach((spec, i) => {
    const set = parseField(parts[i] ?? '', spec, (value, msg) =>
      issues.push({ index, field: spec.name, value, message: `field ${spec.name}: ${msg}` }),
    );
    if (set) sets.push(set);
  });
  if (issues.length > 0) return { issues };
  const [dom, mon, year] = [sets[DOM], sets[MON], sets[YEAR]] as [ValueSet, ValueSet, ValueSet];
  // A day that exists in none of the allowed months (31 in February) would never open the link.
  const firstDay = dom.sorted[0] ?? 1;
  const leapYear = year.sorted.some(isLeap);
  if (!mon.sorted.some((m) => firstDay <= (m === 2 && leapYear ? 29 : daysInMonth(2001, m)))) {
    issues.push({
      index,
      field: 'day-of-month',
      value: parts[DOM] ?? '',
      message: `field day-of-month: ${parts[DOM] ?? ''} never occurs in month ${parts[MON] ?? ''}${firstDay === 29 ? ' (no allowed year is a leap year)' : ''}`,
    });
    return { issues };
  }
  return { entry: sets, issues };
}
