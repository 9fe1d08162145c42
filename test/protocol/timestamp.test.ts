/** oneM2M timestamps (TS-0004 6.3.4.2): `YYYYMMDDTHHMMSS`, UTC, optional fraction after a comma. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOneM2MTime, resolveAbsRel, toOneM2MTime } from '../../src/protocol/timestamp.js';

const T = Date.UTC(2024, 0, 31, 23, 59, 59, 123); // 2024-01-31T23:59:59.123Z

test('formats epoch ms in UTC with a comma and three fraction digits, or without fraction', () => {
  assert.equal(toOneM2MTime(T), '20240131T235959,123');
  assert.equal(toOneM2MTime(T, false), '20240131T235959');
  assert.equal(toOneM2MTime(Date.UTC(2016, 4, 6, 15, 32, 8)), '20160506T153208,000');
  assert.equal(toOneM2MTime(Date.UTC(2000, 0, 1, 0, 0, 0, 5)), '20000101T000000,005');
});

test('parses timestamps with and without fraction', () => {
  assert.equal(parseOneM2MTime('20240131T235959'), Date.UTC(2024, 0, 31, 23, 59, 59));
  assert.equal(parseOneM2MTime('20240131T235959,123'), T);
  assert.equal(parseOneM2MTime('20160506T153208'), Date.UTC(2016, 4, 6, 15, 32, 8));
});

test('the fraction: comma per oneM2M, up to 6 digits (ACME), a dot and a Z tolerated', () => {
  assert.equal(parseOneM2MTime('20240131T235959,123456'), T);
  assert.equal(parseOneM2MTime('20240131T235959,5'), Date.UTC(2024, 0, 31, 23, 59, 59, 500));
  assert.equal(parseOneM2MTime('20240131T235959,000999'), Date.UTC(2024, 0, 31, 23, 59, 59, 0));
  assert.equal(parseOneM2MTime('20240131T235959.123'), T);
  assert.equal(parseOneM2MTime('20240131T235959,123Z'), T);
});

test('format and parse are inverse to the millisecond', () => {
  for (const ms of [0, T, Date.UTC(2099, 11, 31, 23, 59, 59, 999), Date.UTC(2024, 1, 29, 12, 0, 0, 1)])
    assert.equal(parseOneM2MTime(toOneM2MTime(ms)), ms);
  assert.equal(parseOneM2MTime(toOneM2MTime(T, false)), T - 123);
});

test('refuses text that is not a timestamp or not a real date', () => {
  for (const s of [
    '',
    '2024-01-31T23:59:59Z',
    '20240131 235959',
    '20240131T2359',
    '20240131T235959,',
    '20240131T235959,1234567',
    '20240131T235959+0100',
    'x20240131T235959',
    '20241301T000000',
    '20240230T000000',
    '20230229T000000',
    '20240101T240000',
    '20240101T006000',
    '20240101T000060',
  ])
    assert.equal(parseOneM2MTime(s), undefined, s);
  assert.equal(parseOneM2MTime('20240229T000000'), Date.UTC(2024, 1, 29));
});

test('absRelTimestamp: a number or digit string is relative ms, else an absolute timestamp', () => {
  const now = Date.UTC(2024, 5, 1);
  assert.equal(resolveAbsRel(60000, now), now + 60000);
  assert.equal(resolveAbsRel('60000', now), now + 60000);
  assert.equal(resolveAbsRel('-5', now), now - 5);
  assert.equal(resolveAbsRel(0, now), now);
  assert.equal(resolveAbsRel('20240131T235959,123', now), T);
  assert.equal(resolveAbsRel('PT5S', now), undefined);
  assert.equal(resolveAbsRel('soon', now), undefined);
});
