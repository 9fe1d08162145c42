/**
 * One cron validation: what `check` accepts for `sample` is exactly what the sampler runs. The
 * same expressions go through the config validator and through `cronTrigger` (which node-cron
 * then schedules for real); they must agree on every one.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSampleCron } from '../../src/config/cron.js';
import { cronTrigger } from '../../src/drivers/trigger.js';

const GOOD = [
  '*/30 * * * * *',
  '0 * * * * *',
  '0 */5 * * * *',
  '0 0 8-20 * * 1-5',
  '0 0 0 * jan-mar mon-fri',
  '*/60 * * * * *',
  '0 0 12 * * 5-7',
];
const BAD = [
  '*/5 * * * *', // 5 fields: passed check, then "device failed to start" (issue 12)
  '0 8-20 * * 1-5',
  '* * * * * * *',
  '* *',
  '61 * * * * *',
  '0 0 24 * * *',
  '5-2 * * * * *',
  '*/70 * * * * *',
  '0-59/61 * * * * *',
  '0 0 0 * dec-jan *',
  '0 0 0 * * fri-mon',
  '0 0 0 31 2 *',
  '*/0 * * * * *',
];

test('check and the sampler agree on every expression', () => {
  for (const e of [...GOOD, ...BAD]) {
    const checked = validateSampleCron(e).length === 0;
    let runs = true;
    try {
      cronTrigger(e).stop();
    } catch {
      runs = false;
    }
    assert.equal(
      checked,
      runs,
      `check ${checked ? 'accepts' : 'refuses'} ${JSON.stringify(e)}, the sampler ${runs ? 'runs' : 'refuses'} it`,
    );
    assert.equal(checked, GOOD.includes(e), e);
  }
});

test('a 5-field expression is refused with what is expected and a corrected example', () => {
  assert.deepEqual(validateSampleCron('*/5 * * * *'), [
    'expected 6 fields, seconds first: second minute hour day-of-month month day-of-week, e.g. "*/30 * * * * *"; got 5 fields in "*/5 * * * *": add the seconds, e.g. "0 */5 * * * *"',
  ]);
  assert.match(validateSampleCron('* * * * * * *')[0] ?? '', /got 7 fields .*: sampling has no year field/);
  assert.match(validateSampleCron('* *')[0] ?? '', /expected 6 fields, seconds first.*got 2 fields/);
});

test('bad values, reversed ranges and oversized steps name the field', () => {
  assert.deepEqual(validateSampleCron('61 * * * * *'), ['field second (0-59): "61" is not valid']);
  assert.deepEqual(validateSampleCron('0 0 24 * * *'), ['field hour (0-23): "24" is not valid']);
  assert.deepEqual(validateSampleCron('5-2 * * * * *'), [
    'field second (0-59): range "5-2" is reversed; split a range that wraps, e.g. "5-59,0-2"',
  ]);
  assert.deepEqual(validateSampleCron('*/70 * * * * *'), [
    'field second (0-59): step 70 in "*/70" is larger than the field (60 values)',
  ]);
  assert.match(
    validateSampleCron('0 0 0 * * fri-mon')[0] ?? '',
    /^field day-of-week .*range "fri-mon" is reversed/,
  );
});
