/**
 * The redaction every output goes through: URL credentials in any scheme and position, header
 * values, token parameters; and the places that must apply it on their own: the logger (fields,
 * nested errors and their causes), AgentError messages, describeError, formatted config issues.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { redactSecrets } from '../../src/util/redact.js';
import { createLogger } from '../../src/util/log.js';
import { AgentError, describeError } from '../../src/util/errors.js';
import { formatIssues } from '../../src/config/format.js';

test('URL credentials are masked wherever a URL appears; nothing else is touched', () => {
  const cases: [string, string][] = [
    ['ws://user:pw@host:8080/x', 'ws://user:***@host:8080/x'],
    ['wss://u:p@ss@host/', 'wss://u:***@host/'],
    ['"http://TOKEN@proxy:3128"', '"http://***@proxy:3128"'],
    ['cannot open ws://a:b@h/ and http://c:d@e:1', 'cannot open ws://a:***@h/ and http://c:***@e:1'],
    ['ws://%61gent:p%40ss@h/', 'ws://%61gent:***@h/'],
    ['Authorization: Basic dXNlcjpwdw==', 'Authorization: Basic ***'],
    ['{"proxy-authorization":"Basic abc="}', '{"proxy-authorization":"Basic ***"}'],
    ['wss://h/ws?token=abc&x=1', 'wss://h/ws?token=***&x=1'],
    ['ws://host/a@b', 'ws://host/a@b'],
    ['mail a@b.example', 'mail a@b.example'],
    ['ws://user:***@h/', 'ws://user:***@h/'],
  ];
  for (const [input, expected] of cases) assert.equal(redactSecrets(input), expected, input);
});

test('the logger masks credentials in the message, in fields and in errors and their causes', () => {
  for (const json of [true, false]) {
    const lines: string[] = [];
    const log = createLogger({ json, write: (l) => lines.push(l), level: 'debug' });
    // What a library does: its own error, embedding the URL it was given.
    const lib = new Error('getaddrinfo ENOTFOUND for wss://agent:hunter22@registrar.example/');
    const wrapped = new AgentError('X_FAILED', 'failed', { cause: lib });
    log.child({ url: 'ws://agent:hunter22@h/' }).error('open ws://agent:hunter22@h/ failed', {
      error: lib,
      wrapped,
      nested: { deeper: ['http://p:hunter22@proxy:3128'] },
    });
    assert.equal(lines.length, 1);
    assert.ok(!lines[0]?.includes('hunter22'), lines[0]);
    assert.match(lines[0] ?? '', /agent:\*\*\*@/);
  }
});

test('AgentError messages, describeError and config issues never carry the secret', () => {
  const e = new AgentError('WS_BAD_OPTIONS', 'registrar URL "ws://a:hunter22@h:99999/" is not a URL');
  assert.ok(!e.message.includes('hunter22'));
  assert.ok(!describeError(new Error('ws://a:hunter22@h/')).includes('hunter22'));
  assert.ok(!describeError('ws://a:hunter22@h/').includes('hunter22'));
  const text = formatIssues([{ path: 'registrar.url', message: '"ws://a:hunter22@h" is bad', hint: 'x' }]);
  assert.equal(text, 'registrar.url: "ws://a:***@h" is bad (x)');
});
