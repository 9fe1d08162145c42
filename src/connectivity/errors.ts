/** Named errors of the connectivity layer (schedule windows). */
import { AgentError } from '../util/errors.js';

/** One problem in one scheduleElement entry. */
export interface ScheduleIssue {
  /** Position of the entry in the list (`schedule[index]`). */
  readonly index: number;
  /** `second`, `minute`, `hour`, `day-of-month`, `month`, `day-of-week`, `year`, or `entry` for the whole string. */
  readonly field: string;
  /** The offending text. */
  readonly value: string;
  /** Names the field, the value and the allowed range, e.g. `field hour: 25 is outside 0-23`. */
  readonly message: string;
}

/** A schedule (oneM2M scheduleElement list) that does not parse; `issues` lists every problem. */
export class ScheduleError extends AgentError {
  override readonly name = 'ScheduleError';
  constructor(readonly issues: readonly ScheduleIssue[]) {
    super(
      'SCHEDULE_INVALID',
      `invalid schedule: ${issues.map((i) => `[${i.index}] ${i.message}`).join('; ')}`,
      {
        hint: 'each entry has 7 fields, UTC: second minute hour day-of-month month day-of-week year',
      },
    );
  }
}
