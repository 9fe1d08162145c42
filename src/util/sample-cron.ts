/**
 * The one check of a sampling cron expression, shared by `m2m-agent check` (config/) and the
 * sampler (drivers/trigger.ts), so that check accepts exactly what the sampler runs: six fields,
 * seconds first, as node-cron reads them (util/cron-syntax.ts: its rules, without the package),
 * minus what node-cron silently accepts but never means
 * (a reversed range such as `5-2`, a step larger than the field such as `*\/70`).
 * Five fields are refused although node-cron takes them: the sampler used to refuse them at start
 * ("device failed to start") after check had said OK, and a cron without seconds cannot sample
 * faster than once a minute.
 */
import { readCron } from './cron-syntax.js';

/** What a sampling expression looks like, for messages and documentation. */
export const SAMPLE_CRON_FORMAT =
  '6 fields, seconds first: second minute hour day-of-month month day-of-week, e.g. "*/30 * * * * *"';

interface Field {
  readonly label: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const FIELDS: readonly Field[] = [
  { label: 'second (0-59)', min: 0, max: 59 },
  { label: 'minute (0-59)', min: 0, max: 59 },
  { label: 'hour (0-23)', min: 0, max: 23 },
  { label: 'day-of-month (1-31)', min: 1, max: 31 },
  { label: 'month (1-12 or jan-dec)', min: 1, max: 12, names: MONTHS },
  { label: 'day-of-week (0-7 or sun-sat, 0 and 7 = Sunday)', min: 0, max: 7, names: DAYS },
];

/** node-cron's field names, mapped to ours. */
const NODE_CRON_FIELD: Readonly<Record<string, number>> = {
  second: 0,
  minute: 1,
  hour: 2,
  dayOfMonth: 3,
  month: 4,
  dayOfWeek: 5,
};

/** A value of `field` as a number (names included), or undefined when it is not one. */
function valueOf(text: string, field: Field): number | undefined {
  if (/^\d+$/.test(text)) return Number(text);
  const i = field.names?.indexOf(text.slice(0, 3).toLowerCase()) ?? -1;
  return i < 0 ? undefined : field === FIELDS[4] ? i + 1 : i;
}

/** Our own refusals for one field: reversed ranges and steps larger than the field. */
function fieldProblems(text: string, field: Field): string[] {
  const problems: string[] = [];
  const span = field.max - field.min + 1;
  for (const item of text.split(',')) {
    const [base = '', step] = item.split('/');
    if (step !== undefined && /^\d+$/.test(step) && Number(step) > span)
      problems.push(
        `field ${field.label}: step ${step} in "${item}" is larger than the field (${span} values)`,
      );
    const [from, to, more] = base.split('-');
    if (to === undefined || more !== undefined || from === undefined) continue;
    const [a, b] = [valueOf(from, field), valueOf(to, field)];
    if (a !== undefined && b !== undefined && a > b)
      problems.push(
        `field ${field.label}: range "${base}" is reversed; split a range that wraps, e.g. "${from}-${field.max},${field.min}-${to}"`,
      );
  }
  return problems;
}

/** Every problem with a sampling expression (field, value, what is allowed); empty when it runs. */
export function sampleCronProblems(expr: string): string[] {
  const fields = expr
    .trim()
    .split(/\s+/)
    .filter((f) => f !== '');
  const got = `got ${fields.length} fields in ${JSON.stringify(expr)}`;
  if (fields.length === 5)
    return [`expected ${SAMPLE_CRON_FORMAT}; ${got}: add the seconds, e.g. "0 ${fields.join(' ')}"`];
  if (fields.length === 7)
    return [`expected ${SAMPLE_CRON_FORMAT}; ${got}: sampling has no year field (that is a schedule entry)`];
  if (fields.length !== 6) return [`expected ${SAMPLE_CRON_FORMAT}; ${got}`];
  const own = fields.flatMap((f, i) => fieldProblems(f, FIELDS[i] as Field));
  if (own.length > 0) return own;
  const result = readCron(expr);
  if (result.valid) return [];
  return result.errors.map((e) => {
    const field = FIELDS[NODE_CRON_FIELD[e.field] ?? -1];
    if (field === undefined) return `${e.message} in ${JSON.stringify(expr)}`;
    return `field ${field.label}: ${JSON.stringify(e.value ?? '')} is not valid`;
  });
}
