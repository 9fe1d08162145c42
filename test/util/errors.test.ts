import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentError, errCode, errorKind, messageOf } from '../../src/util/errors.js';
import { OutboxFullError, OutboxRecordError } from '../../src/outbox/errors.js';
import { WsError, WsOptionsError } from '../../src/binding/ws/errors.js';

test('an errorKind class carries its fixed code, hint and retryability, and the cause', () => {
  const cause = new Error('ENOSPC');
  const err = new OutboxFullError('buffer full', cause);
  assert.ok(err instanceof AgentError && err instanceof OutboxFullError);
  assert.equal(err.name, 'OutboxFullError');
  assert.equal(err.code, 'OUTBOX_FULL');
  assert.equal(err.retryable, true);
  assert.match(err.hint ?? '', /buffer\.maxBytes/);
  assert.equal(err.cause, cause);
  const record = new OutboxRecordError('too large');
  assert.equal(record.retryable, false);
  assert.equal(record.cause, undefined);
  assert.ok(!(record instanceof OutboxFullError));
});

test('an errorKind class extends the layer base it is given', () => {
  const err = new WsOptionsError('bad url');
  assert.ok(err instanceof WsError);
  assert.equal(err.code, 'WS_BAD_OPTIONS');
  assert.equal(err.hint, 'fix the registrar settings in the configuration');
  class Plain extends errorKind({ code: 'X_Y', hint: 'h' }) {}
  assert.ok(!(new Plain('m') instanceof WsError));
});

test('messageOf and errCode read anything thrown', () => {
  assert.equal(messageOf(new Error('boom')), 'boom');
  assert.equal(messageOf(42), '42');
  assert.equal(errCode(Object.assign(new Error('x'), { code: 'ENOENT' })), 'ENOENT');
  assert.equal(errCode({ code: 7 }), undefined);
  assert.equal(errCode(null), undefined);
});
