/** The bounded queue of notifications for registrees that are not connected. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NotificationQueue } from '../../src/cse/notification-queue.js';
import type { RequestPrimitive } from '../../src/protocol/primitive.js';

const n = (rqi: string): RequestPrimitive => ({ op: 5, to: 'Ca', fr: '/id-in', rqi, rvi: '3', pc: {} });

test('keeps per target, oldest first, and drops the oldest when full', () => {
  const q = new NotificationQueue(2);
  assert.equal(q.push('Ca', n('1')), undefined);
  assert.equal(q.push('Ca', n('2')), undefined);
  assert.equal(q.push('Ca', n('3'))?.rqi, '1');
  q.push('Cb', n('4'));
  assert.equal(q.size(), 3);
  assert.deepEqual(
    q.take('Ca').map((r) => r.rqi),
    ['2', '3'],
  );
  assert.equal(q.size('Ca'), 0);
  q.drop('Cb');
  assert.equal(q.size(), 0);
});

test('a zero bound keeps nothing', () => {
  const q = new NotificationQueue(0);
  assert.equal(q.push('Ca', n('1'))?.rqi, '1');
  assert.equal(q.size(), 0);
});
