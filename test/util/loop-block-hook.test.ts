import { test } from 'node:test';
import assert from 'node:assert/strict';
import { installLoopBlockHook, LOOP_BLOCK_ENV } from '../../src/util/loop-block-hook.js';
import { memoryLogger } from '../../src/util/log.js';

test('the loop-blocking test hook is off unless explicitly enabled', () => {
  const before = process.listenerCount('SIGUSR2');
  const log = memoryLogger();
  for (const value of [undefined, '', '0', 'true']) {
    const remove = installLoopBlockHook(value === undefined ? {} : { [LOOP_BLOCK_ENV]: value }, log);
    assert.equal(process.listenerCount('SIGUSR2'), before, `${LOOP_BLOCK_ENV}=${String(value)}`);
    remove();
  }
  assert.deepEqual(log.lines, []);
});

test('enabled, it listens for SIGUSR2 (and says so) until removed', () => {
  const before = process.listenerCount('SIGUSR2');
  const log = memoryLogger();
  const remove = installLoopBlockHook({ [LOOP_BLOCK_ENV]: '1' }, log);
  assert.equal(process.listenerCount('SIGUSR2'), before + 1);
  assert.ok(log.lines.some((l) => l.level === 'warn' && l.msg.includes('test hook enabled')));
  remove();
  assert.equal(process.listenerCount('SIGUSR2'), before);
});
