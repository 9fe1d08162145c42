import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as tick } from 'node:timers/promises';
import { LineFramer } from '../../../src/drivers/serial/line-framer.js';
import { AgentError } from '../../../src/util/errors.js';

function framer(maxLineBytes?: number) {
  const lines: string[] = [];
  const faults: Error[] = [];
  const f = new LineFramer({
    protocol: 'test',
    onLine: (l) => lines.push(l),
    onFault: (e) => faults.push(e),
    ...(maxLineBytes === undefined ? {} : { maxLineBytes }),
  });
  return { f, lines, faults };
}

test('lines split across chunks, CRLF and LF endings', async () => {
  const { f, lines } = framer();
  f.push(Buffer.from('T=1'));
  f.push(Buffer.from('2\r\nT=13\nT='));
  f.push(Buffer.from('14\r\n'));
  await tick();
  assert.deepEqual(lines, ['T=12', 'T=13', 'T=14']);
});

test('an endless line is dropped and reported; the next line is clean', async () => {
  const { f, lines, faults } = framer(16);
  f.push(Buffer.from('x'.repeat(10)));
  f.push(Buffer.from('y'.repeat(10)));
  assert.equal(faults.length, 1);
  assert.ok(faults[0] instanceof AgentError && faults[0].code === 'SERIAL_BAD_FRAME');
  f.push(Buffer.from('ok\n'));
  await tick();
  assert.deepEqual(lines, ['ok']);
});

test('reset drops a partial line', async () => {
  const { f, lines } = framer();
  f.push(Buffer.from('partial'));
  f.reset();
  f.push(Buffer.from('whole\n'));
  await tick();
  assert.deepEqual(lines, ['whole']);
});
