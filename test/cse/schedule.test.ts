/** scheduleEntry validation (TS-0001 9.6.9: seven fields, UTC). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scheduleEntryProblem } from '../../src/cse/schedule.js';

test('the reference examples are valid', () => {
  for (const e of [
    '* 0-5 2,6,10 * * * *',
    '* * 8-20 * * * *',
    '* * 0-23/2 * * * *',
    '* * * * * */2 *',
    '0 0 0 1 1 0 2030',
  ]) {
    assert.equal(scheduleEntryProblem(e), undefined, e);
  }
});

test('wrong field counts, ranges and steps are named', () => {
  assert.match(scheduleEntryProblem('* * * * *') ?? '', /7 fields/);
  assert.match(scheduleEntryProblem('60 * * * * * *') ?? '', /second/);
  assert.match(scheduleEntryProblem('* * * 0 * * *') ?? '', /day of month/);
  assert.match(scheduleEntryProblem('* * * * * 7 *') ?? '', /day of week/);
  assert.match(scheduleEntryProblem('* * * * * * 1999') ?? '', /year/);
  assert.match(scheduleEntryProblem('* * 5-2 * * * *') ?? '', /hour/);
  assert.match(scheduleEntryProblem('*/0 * * * * * *') ?? '', /second/);
  assert.match(scheduleEntryProblem('a * * * * * *') ?? '', /second/);
});
