/**
 * Our port of node-cron's expression reading (util/cron-syntax.ts) against node-cron itself, kept
 * as a development dependency for this comparison only: same verdict, same messages, same
 * expanded fields, over a corpus of valid, odd and broken expressions. Plus the sampling check's
 * messages (util/sample-cron.ts), pinned as `check` prints them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import cron from 'node-cron';
import { parseCron, readCron } from '../../src/util/cron-syntax.js';
import { sampleCronProblems } from '../../src/util/sample-cron.js';

const CORPUS = [
  '* * * * * *',
  '*/10 * * * * *',
  '*/0 * * * * *',
  '0-59/0 * * * * *',
  '5/10 * * * * *',
  '1,2,3 * * * * *',
  '15,45 10-20/3 * * * *',
  '50-10 * * * * *',
  '0 0 22-2 * * *',
  '0 0 8-20 * * 1-5',
  '0 0 0 * jan-mar mon-fri',
  '0 0 0 * JANUARY,Dec SUNDAY',
  '0 0 0 * * 7',
  '0 0 0 * * 5-7',
  '0 0 0 * * 7L',
  '0 0 0 * * 5L,1#2',
  '0 0 0 * * 1#6',
  '0 0 0 * * 8',
  '0 0 0 L * *',
  '0 0 0 l * *',
  '0 0 0 L-2 * *',
  '0 0 0 L-31 * *',
  '0 0 0 15W * *',
  '0 0 0 LW * *',
  '0 0 0 32W * *',
  '0 0 0 W * *',
  '0 0 0 15w,L * *',
  '0 0 0 ? * *',
  '0 0 0 * * ?',
  '0 0 0 30 2 *',
  '0 0 0 31 4,6 *',
  '0 0 0 31 4,5 *',
  '0 0 0 0 * *',
  '60 * * * * *',
  '* 60 * * * *',
  '* * 24 * * *',
  '* * * 32 * *',
  '* * * * 13 *',
  '* * * * 0 *',
  '0 * * * *',
  '* * * * * * *',
  '@hourly',
  '@daily',
  '@nonsense',
  '',
  '   ',
  '*  *   * * * *',
  ' * * * * * * ',
  '*\t* * * * *',
  '* * * * * $',
  'a b c d e f',
  '** * * * * *',
  '*/5,*/7 * * * * *',
  '1-5/2,30-40/5 * * * * *',
  '0 0 0 * mayjun *',
  '0 0 0 * * mon-sun',
  '0 0 0 * * sun-sat',
  '0 0 0 * * 0#1,0#1',
];

test('readCron gives node-cron validateDetailed verdict, messages and fields for every expression of the corpus', () => {
  for (const expr of CORPUS) {
    const theirs = cron.validateDetailed(expr);
    const ours = readCron(expr);
    assert.equal(ours.valid, theirs.valid, JSON.stringify(expr));
    if (ours.valid) assert.deepEqual(ours.fields, theirs.fields, JSON.stringify(expr));
    else assert.deepEqual(ours.errors, theirs.errors, JSON.stringify(expr));
  }
});

test('parseCron throws node-cron parse first message, and returns its fields', () => {
  for (const expr of CORPUS) {
    let theirs: unknown;
    try {
      theirs = cron.parse(expr);
    } catch (err) {
      assert.throws(() => parseCron(expr), { message: (err as Error).message }, JSON.stringify(expr));
      continue;
    }
    assert.deepEqual(parseCron(expr), theirs, JSON.stringify(expr));
  }
});

test('the sampling check keeps its messages', () => {
  assert.deepEqual(sampleCronProblems('*/10 * * * * *'), []);
  assert.deepEqual(sampleCronProblems('60 * * * * *'), ['field second (0-59): "60" is not valid']);
  assert.deepEqual(sampleCronProblems('0 0 0 L-31 * *'), ['field day-of-month (1-31): "L-31" is not valid']);
  assert.deepEqual(sampleCronProblems('0 0 0 * * 8'), [
    'field day-of-week (0-7 or sun-sat, 0 and 7 = Sunday): "8" is not valid',
  ]);
  assert.deepEqual(sampleCronProblems('0 0 0 30 2 *'), ['field day-of-month (1-31): "30" is not valid']);
  assert.deepEqual(sampleCronProblems('*\t* * * * *'), [
    'pattern includes illegal characters in "*\\t* * * * *"',
  ]);
  assert.deepEqual(sampleCronProblems('5-2 * * * * *'), [
    'field second (0-59): range "5-2" is reversed; split a range that wraps, e.g. "5-59,0-2"',
  ]);
});
