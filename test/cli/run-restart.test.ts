/**
 * `m2m-agent run` obeys the registrar's reboot object: an operator's UPDATE naming `rbo` stops the
 * agent cleanly (outbox flushed, link closed) and exits with 75, which systemd's
 * Restart=on-failure restarts (the unit in systemd/ has it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawConfig } from '../helpers/agent-harness.js';
import { PACKAGE_DIR, spawnRun, until, writeConfig } from '../helpers/cli-child.js';
import { startRegistrar } from '../../src/cse/server.js';
import { Operation } from '../../src/protocol/codes.js';
import { EXIT_RESTART } from '../../src/cli/run.js';

test('an UPDATE of rbo on the reboot object: clean stop, exit 75, which systemd restarts', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'm2m-'));
  const registrar = await startRegistrar({ port: 0 });
  const config = join(base, 'config.json');
  writeConfig(config, rawConfig(registrar, join(base, 'state')));
  const run = spawnRun(config);
  t.after(async () => {
    await run.kill();
    await registrar.close();
    rmSync(base, { recursive: true, force: true });
  });
  await until(
    () => registrar.cse.resource('cse-in/e2e-gw-node/reboot/m2m-agent-reboot') !== undefined,
    'the subscription to the reboot object',
    15_000,
    run,
  );
  const rsp = await registrar.cse.handle({
    op: Operation.Update,
    to: 'cse-in/e2e-gw-node/reboot',
    fr: 'CAdmin',
    rqi: 'reboot-1',
    rvi: '3',
    pc: { 'm2m:rbo': { rbo: true } },
  });
  assert.equal(rsp.rsc, 2004);
  assert.deepEqual(await run.waitExit(15_000), { code: EXIT_RESTART, signal: null }, run.stderr());
  assert.ok(
    run.logs.some((l) => l.msg.startsWith('stopping') && l.signal === 'restart requested by the registrar'),
  );
  assert.ok(run.logs.some((l) => l.msg === 'stopped'));
  const unit = readFileSync(join(PACKAGE_DIR, 'systemd', 'm2m-agent.service'), 'utf8');
  assert.match(unit, /^Restart=on-failure$/m);
  assert.doesNotMatch(unit, /RestartPreventExitStatus=.*\b75\b|SuccessExitStatus=.*\b75\b/);
});
