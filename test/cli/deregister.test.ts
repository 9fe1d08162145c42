/**
 * `m2m-agent deregister`: DELETE of the agent's `<AE>` on the registrar and the local identity
 * forgotten, so that the next run registers anew.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_MAIN, NODE_LOADER, PACKAGE_DIR } from '../helpers/cli-child.js';
import { rawConfig, startHarness, waitFor } from '../helpers/agent-harness.js';
import { asnConfig, CSE_ID } from '../agent/asn-support.js';

function cli(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.M2M_AGENT_CONFIG;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...NODE_LOADER, CLI_MAIN, ...args],
      { cwd: PACKAGE_DIR, env, timeout: 20_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

for (const imitate of [undefined, 'acme'] as const) {
  test(`deregister deletes the <AE> and forgets the identity (${imitate ?? 'standard'})`, async () => {
    const h = await startHarness({
      ...(imitate ? { registrar: { imitate } } : {}),
      config: (r) => ({
        serializations: ['json'],
        ...(imitate
          ? { registrar: { url: r.url, cseId: r.cse.cseId, cseName: r.cse.cseName, compat: imitate } }
          : {}),
      }),
    });
    try {
      await waitFor(() => h.registrar.cse.resource('cse-in/e2e-gw/counter') !== undefined, 'registered');
      await waitFor(
        () => h.registrar.cse.resource('cse-in/e2e-gw-node/memory') !== undefined,
        'the <node> of device management',
      );
      await h.agent.stop();
      const cfg = join(h.stateDir, 'config.json');
      const raw = rawConfig(h.registrar, h.stateDir, { serializations: ['json'] });
      if (imitate) raw.registrar = { ...(raw.registrar as Record<string, unknown>), compat: imitate };
      writeFileSync(cfg, JSON.stringify(raw));

      const r = await cli(['deregister', '-c', cfg]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /deleted cse-in\/e2e-gw \(2002 DELETED\)/);
      assert.match(r.stdout, /forgot identity Ce2e-gw/);
      assert.equal(h.registrar.cse.resource('cse-in/e2e-gw'), undefined, 'the <AE> is gone');
      assert.match(r.stdout, /deleted our <node> /);
      assert.equal(h.registrar.cse.resource('cse-in/e2e-gw-node'), undefined, 'the <node> is gone');
      assert.equal(h.registrar.cse.resource('cse-in/e2e-gw-node/memory'), undefined, 'and its mgmtObjs');
      assert.equal(existsSync(join(h.stateDir, 'identity.json')), false);

      const again = await cli(['deregister', '-c', cfg]);
      assert.equal(again.code, 0);
      assert.match(again.stdout, /not registered: nothing to do/);
    } finally {
      await h.close();
    }
  });
}

test('deregister refuses while the agent runs on that state directory (it would write its identity back)', async () => {
  const h = await startHarness({ config: { serializations: ['json'] } });
  try {
    await waitFor(() => h.registrar.cse.resource('cse-in/e2e-gw/counter') !== undefined, 'registered');
    const cfg = join(h.stateDir, 'config.json');
    writeFileSync(cfg, JSON.stringify(rawConfig(h.registrar, h.stateDir, { serializations: ['json'] })));
    const r = await cli(['deregister', '-c', cfg]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /STATE_DIR_LOCKED/);
    assert.ok(h.registrar.cse.resource('cse-in/e2e-gw') !== undefined, 'the <AE> is untouched');
    assert.equal(existsSync(join(h.stateDir, 'identity.json')), true);
  } finally {
    await h.close();
  }
});

test('deregister deletes the <remoteCSE> where ACME put it (named after the CSE-ID), not node.name', async () => {
  const over = (r: { url: string; cse: { cseId: string; cseName: string } }): Record<string, unknown> =>
    asnConfig('json', {
      registrar: { url: r.url, cseId: r.cse.cseId, cseName: r.cse.cseName, compat: 'acme' },
    });
  const h = await startHarness({
    registrar: { imitate: 'acme', quirks: { allowedCsrOriginators: [CSE_ID] } },
    config: over,
  });
  try {
    const at = `cse-in/${CSE_ID.slice(1)}`;
    await waitFor(() => h.registrar.cse.resource(`${at}/counter`) !== undefined, 'registered');
    await h.agent.stop();
    const cfg = join(h.stateDir, 'config.json');
    writeFileSync(cfg, JSON.stringify({ ...rawConfig(h.registrar, h.stateDir), ...over(h.registrar) }));
    const r = await cli(['deregister', '-c', cfg]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, new RegExp(`deleted ${at} \\(2002 DELETED\\)`));
    assert.equal(h.registrar.cse.resource(at), undefined, 'the <remoteCSE> is gone');
  } finally {
    await h.close();
  }
});
