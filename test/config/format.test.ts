import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatIssues } from '../../src/config/format.js';

test('one line per issue: path, message and hint', () => {
  assert.equal(
    formatIssues([
      {
        path: 'devices[2].params.gpio',
        message: 'pin 17 is already used by devices[0]',
        hint: 'a GPIO pin can serve one device only',
      },
      { path: 'schedule[1]', message: 'field hour: 25 is outside 0-23' },
      { path: '', message: 'file-level problem' },
    ]),
    [
      'devices[2].params.gpio: pin 17 is already used by devices[0] (a GPIO pin can serve one device only)',
      'schedule[1]: field hour: 25 is outside 0-23',
      'file-level problem',
    ].join('\n'),
  );
  assert.equal(formatIssues([]), '');
});
