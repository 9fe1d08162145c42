/** Sampling cron expressions (node-cron: 5 or 6 fields, seconds first when 6). */
import { validateDetailed } from 'node-cron';

/** node-cron's field names, as we print them, with their ranges (node-cron also takes names: jan, mon). */
const FIELDS: Readonly<Record<string, string>> = {
  second: 'second (0-59)',
  minute: 'minute (0-59)',
  hour: 'hour (0-23)',
  dayOfMonth: 'day-of-month (1-31)',
  month: 'month (1-12)',
  dayOfWeek: 'day-of-week (0-7, 0 and 7 = Sunday)',
};

/** Problems with a sampling expression, empty when node-cron accepts it. */
export function validateSampleCron(expr: string): string[] {
  const fields = expr.trim().split(/\s+/).length;
  if (fields === 7) {
    // A scheduleElement (7 fields, with a year) pasted where a sampling cron belongs.
    return [
      'expected 5 or 6 fields (second minute hour day-of-month month day-of-week), got 7: sampling has no year field',
    ];
  }
  const result = validateDetailed(expr);
  if (result.valid) return [];
  return result.errors.map((e) => {
    const field = FIELDS[e.field];
    if (field === undefined) return `${e.message} in ${JSON.stringify(expr)}`;
    return `field ${field}: ${JSON.stringify(e.value ?? '')} is not valid`;
  });
}
