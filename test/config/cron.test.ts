import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSampleCron } from '../../src/config/cron.js';

test('5- and 6-field sampling expressions pass', () => {
  for (const e of ['*/30 * * * * *', '0 * * * * *', '*/5 * * * *', '0 8-20 * * 1-5'])
    assert.deepEqual(validateSampleCron(e), [], e);
});

test('bad expressions name the field, the value and the range', () => {
  assert.deepEqual(validateSampleCron('61 * * * * *'), ['field second (0-59): "61" is not valid']);
  assert.deepEqual(validateSampleCron('* 24 * * *'), ['field hour (0-23): "24" is not valid']);
  assert.match(validateSampleCron('* * * * * * *')[0] ?? '', /got 7: sampling has no year field/);
  assert.match(validateSampleCron('* *')[0] ?? '', /expected 5 or 6 fields/);
});
