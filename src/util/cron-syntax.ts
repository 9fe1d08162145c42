/**
 * node-cron 4.6's reading of a cron expression (its `validateDetailed`), without loading node-cron:
 * its module graph (task registry, background daemon, child_process, crypto) cost the agent about
 * 3 MiB of RSS for two functions. Ported rule for rule, quirks included (month and weekday names are
 * replaced anywhere in their field, `?` means `*`, a step of 0 is refused), so `check` accepts and
 * refuses exactly what it did; test/util/cron-syntax.test.ts compares the two over a corpus.
 */

/** One field's values: numbers, plus node-cron's day tokens (`L`, `15W`, `L-2`, `5L`, `1#2`). */
export type CronToken = number | string;

/** The expanded fields, seconds first (a 5-field expression gets second 0). */
export interface CronFields {
  readonly second: readonly number[];
  readonly minute: readonly number[];
  readonly hour: readonly number[];
  readonly dayOfMonth: readonly CronToken[];
  readonly month: readonly number[];
  readonly dayOfWeek: readonly CronToken[];
}

export interface CronSyntaxError {
  /** `expression` or one of the `CronFields` keys. */
  readonly field: string;
  readonly value?: string;
  readonly message: string;
}

export type CronSyntax =
  | { readonly valid: true; readonly fields: CronFields }
  | { readonly valid: false; readonly errors: readonly CronSyntaxError[] };

const NICKNAMES: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = 'january february march april may june july august september october november december';
const DAYS = 'sunday monday tuesday wednesday thursday friday saturday';
/** Names in node-cron's replacement order (long first), with the number each becomes. */
const MONTH_NAMES = [...MONTHS.split(' '), ...MONTHS.split(' ').map((m) => m.slice(0, 3))].map(
  (name, i) => [new RegExp(name, 'gi'), String((i % 12) + 1)] as const,
);
const DAY_NAMES = [...DAYS.split(' '), ...DAYS.split(' ').map((d) => d.slice(0, 3))].map(
  (name, i) => [new RegExp(name, 'gi'), String(i % 7)] as const,
);
/** `*` of each field, and its bounds (day-of-week 0-6 here: 7 is folded onto 0 later). */
const BOUNDS = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
] as const;
const KEYS = ['second', 'minute', 'hour', 'dayOfMonth', 'month', 'dayOfWeek'] as const;
const LABELS = ['second', 'minute', 'hour', 'day of month', 'month', 'week day'];
const ALLOWED_CHARS = /^[a-zA-Z0-9-*/,#? ]+$/;
const PLAIN = /^(?:\d+|\*|\*\/\d+)$/;
const DOM_W = /^(\d{1,2}|L)W$/i;
const DOM_OFFSET = /^L-(\d{1,2})$/i;
const NTH_WEEKDAY = /^([0-7])#([1-5])$/;
const MAX_DAYS_IN_MONTH = [0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

const resolveNickname = (expr: string): string => NICKNAMES[expr.trim().toLowerCase()] ?? expr;
const splitFields = (text: string): string[] =>
  text
    .replace(/\s{2,}/g, ' ')
    .trim()
    .split(' ');

function replaceNames(text: string, names: readonly (readonly [RegExp, string])[]): string {
  for (const [re, n] of names) text = text.replace(re, n);
  return text;
}

/** `a-b` or `a-b/s` expanded to a list; a reversed range wraps around the field. */
function expandRange(
  from: string,
  to: string,
  stepText: string,
  [min, max]: readonly [number, number],
): string {
  const step = parseInt(stepText, 10);
  if (!(step >= 1)) return `${from}-${to}/${stepText}`;
  const [first, last] = [parseInt(from, 10), parseInt(to, 10)];
  const numbers: number[] = [];
  if (first <= last) {
    for (let i = first; i <= last; i += step) numbers.push(i);
    return numbers.join();
  }
  const size = max - min + 1;
  const span = (((last - first) % size) + size) % size;
  for (let offset = 0; offset <= span; offset += step)
    numbers.push(first + offset > max ? first + offset - size : first + offset);
  return numbers.join();
}

function normalizeToken(raw: string): CronToken {
  const token = raw.trim();
  if (/^l$/i.test(token)) return 'L';
  if (/^l-\d{1,2}$/i.test(token) || /^[0-7]l$/i.test(token) || /w/i.test(token)) return token.toUpperCase();
  if (token.includes('#')) return token;
  return /^\d+$/.test(token) ? parseInt(token, 10) : token;
}

/** node-cron's `convertExpression`: names, `?`, `*` and ranges turned into value lists. */
function expand(expr: string): CronToken[][] {
  let fields = splitFields(resolveNickname(expr));
  if (fields.length === 5) fields = ['0', ...fields];
  if (fields[3] === '?') fields[3] = '*';
  if (fields[5] === '?') fields[5] = '*';
  fields[4] = replaceNames(fields[4] ?? '', MONTH_NAMES);
  fields[5] = replaceNames(fields[5] ?? '', DAY_NAMES);
  const lists = fields.map((field, i) => {
    const bounds = BOUNDS[i] ?? [0, 0];
    return field
      .split(',')
      .map((t) => (t.includes('*') ? t.replace('*', `${bounds[0]}-${bounds[1]}`) : t))
      .map((t) => {
        const m = /^(\d+)-(\d+)(?:\/(\d+))?$/.exec(t.trim());
        return m ? expandRange(m[1] ?? '', m[2] ?? '', m[3] ?? '1', bounds) : t;
      })
      .join()
      .split(',')
      .map(normalizeToken);
  });
  const weekdays = (lists[5] ?? []).map((d) =>
    d === 7 ? 0 : typeof d === 'string' && d.startsWith('7') ? '0' + d.slice(1) : d,
  );
  lists[5] = [...new Set(weekdays)];
  return lists;
}

function plainValuesValid(values: readonly CronToken[], min: number, max: number): boolean {
  return values.every((v) => {
    const n = parseInt(String(v), 10);
    return !(!Number.isNaN(n) && (n < min || n > max)) && PLAIN.test(String(v));
  });
}

function dayOfMonthInvalid(values: readonly CronToken[]): boolean {
  const others = values.filter((value) => {
    if (value === 'L') return false;
    const w = DOM_W.exec(String(value));
    if (w) return w[1] === 'L' ? false : parseInt(w[1] ?? '', 10) < 1 || parseInt(w[1] ?? '', 10) > 31;
    const offset = DOM_OFFSET.exec(String(value));
    if (offset) return parseInt(offset[1] ?? '', 10) < 1 || parseInt(offset[1] ?? '', 10) > 30;
    return true;
  });
  return !plainValuesValid(others, 1, 31);
}

function misusedW(rawDayOfMonth: string): boolean {
  if (!/w/i.test(rawDayOfMonth)) return false;
  return rawDayOfMonth.split(',').some((t) => /w/i.test(t.trim()) && !DOM_W.test(t.trim()));
}

const FIELD_INVALID: readonly ((values: readonly CronToken[]) => boolean)[] = [
  (v) => !plainValuesValid(v, 0, 59),
  (v) => !plainValuesValid(v, 0, 59),
  (v) => !plainValuesValid(v, 0, 23),
  dayOfMonthInvalid,
  (v) => !plainValuesValid(v, 1, 12),
  (v) =>
    !plainValuesValid(
      v.filter((d) => !(typeof d === 'string' && (NTH_WEEKDAY.test(d) || /^[0-7]L$/.test(d)))),
      0,
      7,
    ),
];

function impossibleDayOfMonth(days: readonly CronToken[], months: readonly CronToken[]): boolean {
  if (days.some((d) => typeof d !== 'number')) return false;
  return !months.some((m) => days.some((d) => (d as number) <= (MAX_DAYS_IN_MONTH[m as number] ?? NaN)));
}

/** node-cron's `validateDetailed`: the same verdict, messages and fields. */
export function readCron(expr: string): CronSyntax {
  const resolved = resolveNickname(expr);
  if (!ALLOWED_CHARS.test(resolved))
    return {
      valid: false,
      errors: [{ field: 'expression', value: expr, message: 'pattern includes illegal characters' }],
    };
  const raw = splitFields(resolved);
  if (raw.length !== 5 && raw.length !== 6)
    return {
      valid: false,
      errors: [{ field: 'expression', value: expr, message: `expected 5 or 6 fields but got ${raw.length}` }],
    };
  const patterns = raw.length === 5 ? ['0', ...raw] : raw;
  const lists = expand(expr);
  const errors: CronSyntaxError[] = [];
  KEYS.forEach((field, i) => {
    const value = patterns[i] ?? '';
    if (FIELD_INVALID[i]?.(lists[i] ?? []) === true || (i === 3 && misusedW(value)))
      errors.push({ field, value, message: `${value} is a invalid expression for ${LABELS[i] ?? field}` });
  });
  if (errors.length === 0 && impossibleDayOfMonth(lists[3] ?? [], lists[4] ?? []))
    errors.push({
      field: 'dayOfMonth',
      value: patterns[3] ?? '',
      message: `${patterns[3] ?? ''} ${patterns[4] ?? ''} is an impossible day of month for the given month`,
    });
  if (errors.length > 0) return { valid: false, errors };
  const [second, minute, hour, dayOfMonth = [], month, dayOfWeek = []] = lists;
  const numbers = (l: readonly CronToken[] | undefined): number[] => (l ?? []).map(Number);
  return {
    valid: true,
    fields: {
      second: numbers(second),
      minute: numbers(minute),
      hour: numbers(hour),
      dayOfMonth,
      month: numbers(month),
      dayOfWeek,
    },
  };
}

/** The fields of a valid expression; throws node-cron's first message otherwise. */
export function parseCron(expr: string): CronFields {
  const result = readCron(expr);
  if (!result.valid) throw new Error(result.errors[0]?.message ?? 'invalid cron expression');
  return result.fields;
}
