import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileLinePattern, parseLine } from '../../../src/drivers/serial/line-protocol.js';
import { AgentError } from '../../../src/util/errors.js';

const at = { timeMs: 1000, monoMs: 5 };
const code = (c: string) => (e: unknown) => e instanceof AgentError && e.code === c;

test('named groups become readings with units; numbers v, words vs, true/false vb', () => {
  const re = compileLinePattern(
    '^T=(?<temperature>-?\\d+(?:\\.\\d+)?) H=(?<humidity>\\d+)% S=(?<status>\\w+) D=(?<door>true|false)$',
  );
  assert.deepEqual(parseLine('T=-3.25 H=40% S=ok D=true', re, { temperature: 'Cel', humidity: '%RH' }, at), [
    { n: 'temperature', v: -3.25, u: 'Cel', timeMs: 1000, monoMs: 5 },
    { n: 'humidity', v: 40, u: '%RH', timeMs: 1000, monoMs: 5 },
    { n: 'status', vs: 'ok', timeMs: 1000, monoMs: 5 },
    { n: 'door', vb: true, timeMs: 1000, monoMs: 5 },
  ]);
});

test('groups outside the taken alternative are left out', () => {
  const re = compileLinePattern('^(?:T:(?<temperature>[\\d.]+)|P:(?<pressure>[\\d.]+))$');
  assert.deepEqual(
    parseLine('P:1013.2', re, {}, at).map((r) => [r.n, r.v]),
    [['pressure', 1013.2]],
  );
});

test('non-matching lines, bad or group-less patterns are named errors', () => {
  const re = compileLinePattern('^(?<v>\\d+)$', 'gi');
  assert.throws(() => parseLine('abc', re, {}, at), code('SERIAL_BAD_FRAME'));
  assert.throws(() => compileLinePattern('(?<v>\\d+'), code('DRIVER_BAD_PARAMS'));
  assert.throws(() => compileLinePattern('(\\d+)'), code('DRIVER_BAD_PARAMS'));
  // The g flag is dropped, so repeated parsing does not depend on lastIndex.
  assert.equal(parseLine('12', re, {}, at)[0]?.v, 12);
  assert.equal(parseLine('13', re, {}, at)[0]?.v, 13);
});
