import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { createOnoffOpener } from '../../../src/drivers/gpio/onoff-gpio.js';
import { AgentError } from '../../../src/util/errors.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');

test('onoff missing: GPIO_NOT_INSTALLED with the install hint; a later install is picked up', async () => {
  let fail = true;
  const opener = createOnoffOpener({
    load: () =>
      fail
        ? Promise.reject(new Error("Cannot find package 'onoff'"))
        : Promise.reject(new Error('second attempt')),
  });
  await assert.rejects(opener(529, { direction: 'in' }), (e: unknown) => {
    assert.ok(e instanceof AgentError);
    assert.equal(e.code, 'GPIO_NOT_INSTALLED');
    assert.equal(e.message, 'GPIO support is not installed: install build tools and reinstall');
    assert.match(e.hint ?? '', /g\+\+/);
    return true;
  });
  fail = false;
  await assert.rejects(
    opener(529, { direction: 'in' }),
    (e: unknown) => e instanceof AgentError && (e.cause as Error).message === 'second attempt',
  );
});

test('onoff present but the pin cannot be exported: GPIO_OPEN_FAILED', async () => {
  const opener = createOnoffOpener({
    load: () =>
      Promise.resolve({
        Gpio: class {
          constructor() {
            throw Object.assign(new Error('EACCES: permission denied, open /sys/class/gpio/export'), {
              code: 'EACCES',
            });
          }
        } as never,
      }),
  });
  await assert.rejects(
    opener(529, { direction: 'out' }),
    (e: unknown) => e instanceof AgentError && e.code === 'GPIO_OPEN_FAILED' && e.retryable,
  );
});

/** Why the namespace run cannot happen here, or undefined when it can. */
function namespaceUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root for a private mount namespace (CI runs as root)';
  const probe = spawnSync('unshare', ['--mount', '--uts', '--propagation', 'private', 'true']);
  if (probe.error) return `unshare not available: ${probe.error.message}`;
  if (probe.status !== 0) return `unshare refused: ${probe.stderr.toString().trim()}`;
  return undefined;
}

const reason = namespaceUnavailable();

test('onoff real code paths against a fake sysfs in a private namespace', { skip: reason ?? false }, () => {
  // The runner marks its children with NODE_TEST_CONTEXT; the nested run must be a top-level one.
  const env: NodeJS.ProcessEnv = { ...process.env, M2M_GPIO_NAMESPACE: '1' };
  delete env['NODE_TEST_CONTEXT'];
  const child = spawnSync(
    'unshare',
    [
      '--mount',
      '--uts',
      '--propagation',
      'private',
      process.execPath,
      '--import',
      'tsx',
      '--test',
      '--test-reporter=spec',
      '--test-timeout=30000',
      path.join(here, 'onoff-namespace.child.ts'),
    ],
    { cwd: repo, env, encoding: 'utf8', timeout: 120_000 },
  );
  const out = `${child.stdout}\n${child.stderr}`;
  assert.equal(child.status, 0, out);
  const pass = Number(/ℹ pass (\d+)/.exec(out)?.[1] ?? 0);
  assert.equal(/ℹ fail (\d+)/.exec(out)?.[1], '0', out);
  assert.equal(pass, 7, out); // 5 contract tests + input driver + output driver
});
