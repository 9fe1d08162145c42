/**
 * Remote configuration against a real ACME (release 2026.05.1, `../shared/acme`), with the real
 * `m2m-agent run` process: what an operator does with plain HTTP requests to ACME (README,
 * "Managing a fleet"). A patch written to `<ae>/config` is validated and applied and readings
 * follow it; a bad value or a connection setting is refused with its key path in `config-status`
 * while the previous configuration runs on; a stranger's patch gets 4103; the last outcome is
 * published again after a restart; `m2m-agent deregister` removes the `<node>` with the `<AE>`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CLI_MAIN,
  NODE_LOADER,
  PACKAGE_DIR,
  spawnRun,
  writeConfig,
  type RunChild,
} from '../helpers/cli-child.js';
import { acmeAgentConfig, acmeMissing, grantNodeCreation, startAcme, type Acme } from './acme.js';
import { senml, until } from './agent.js';

const missing = acmeMissing();
const AE = 'gw-rc';

function deregister(config: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = { ...process.env };
  delete env.M2M_AGENT_CONFIG;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [...NODE_LOADER, CLI_MAIN, 'deregister', '-c', config],
      { cwd: PACKAGE_DIR, env, timeout: 30_000 },
      (err, stdout, stderr) => {
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : null) : 0, stdout, stderr });
      },
    );
  });
}

/**
 * The operator's view: the newest outcome in `config-status` (undefined: none yet) and its `ri`,
 * under `at` (the `<AE>`, or in the ASN role the `<remoteCSE>`).
 */
async function status(
  acme: Acme,
  at = `cse-in/${AE}`,
): Promise<{ ri: string; value: Record<string, unknown> } | undefined> {
  const rsp = await acme.http('GET', `${at}/config-status/la`);
  if (rsp.rsc !== 2000) return undefined;
  const cin = rsp.body['m2m:cin'] as { ri: string; con: string };
  return { ri: cin.ri, value: JSON.parse(cin.con) as Record<string, unknown> };
}

/** The base times (s) of the counter's readings ACME holds that were sampled after `from` (s). */
async function readingTimes(acme: Acme, from: number, at = `cse-in/${AE}`): Promise<number[]> {
  const rsp = await acme.http('GET', `${at}/counter?rcn=4`);
  const cins = (rsp.body['m2m:cnt'] as { 'm2m:cin'?: unknown[] } | undefined)?.['m2m:cin'] ?? [];
  return cins.map((c) => senml(c)[0]?.bt).filter((bt): bt is number => typeof bt === 'number' && bt > from);
}

/** The operator writes a patch (a JSON merge patch as the `con` of a contentInstance) to `at`/config. */
function patcher(acme: Acme, at: string): (body: unknown, origin?: string) => ReturnType<Acme['http']> {
  let sent = 0;
  return (body, origin) =>
    acme.http('POST', `${at}/config`, {
      ty: 4,
      ...(origin ? { origin } : {}),
      body: { 'm2m:cin': { rn: `patch-${++sent}`, cnf: 'application/json:0', con: JSON.stringify(body) } },
    });
}

test(
  'remote configuration on ACME: applied, refused with key paths, 4103 to others, kept over a restart',
  { skip: missing ?? false },
  async (t) => {
    const acme = await startAcme();
    const base = mkdtempSync(join(tmpdir(), 'm2m-interop-rc-'));
    const config = join(base, 'config.json');
    writeConfig(
      config,
      acmeAgentConfig(acme, { name: AE, originator: `C${AE}` }, { stateDir: join(base, 'state') }),
    );
    let run: RunChild | undefined;
    const patch = patcher(acme, `cse-in/${AE}`);
    try {
      // The operator lets the gateway create its <node> (deregistration removes it below).
      await grantNodeCreation(acme, [`C${AE}`]);
      run = spawnRun(config);
      const agent = run;
      await until(
        async () =>
          (await acme.http('GET', `cse-in/${AE}/config/m2m-agent-config`)).rsc === 2000 &&
          (await acme.http('GET', `cse-in/${AE}/config-status`)).rsc === 2000 &&
          (await acme.http('GET', `cse-in/${AE}-node/memory`)).rsc === 2000,
        `config, our subscription to it, config-status and the node (log: ${JSON.stringify(agent.logs.slice(-5))})`,
        30_000,
      );

      await t.test('a stranger cannot write a patch (4103): no outcome, nothing applied', async () => {
        const rsp = await patch({ devices: { counter: { sample: '*/5 * * * * *' } } }, 'Cstranger');
        assert.equal(rsp.rsc, 4103, JSON.stringify(rsp.body));
        assert.equal(await status(acme), undefined);
      });

      await t.test('a sampling patch is applied: accepted with its revision, readings follow', async () => {
        const rsp = await patch({ devices: { counter: { sample: '*/3 * * * * *' } } });
        assert.equal(rsp.rsc, 2001, JSON.stringify(rsp.body));
        await until(async () => (await status(acme))?.value.status === 'accepted', 'accepted', 30_000);
        assert.deepEqual((await status(acme))?.value, { status: 'accepted', revision: 1 });
        const from = Date.now() / 1000 + 1;
        await until(async () => (await readingTimes(acme, from)).length >= 3, 'three readings', 30_000);
        const times = await readingTimes(acme, from);
        assert.ok(
          times.every((s) => Math.round(s) % 3 === 0),
          `readings at ${times.join(', ')}`,
        );
      });

      await t.test(
        'a bad value is refused with its key path; the previous configuration runs on',
        async () => {
          const before = (await status(acme))?.ri;
          assert.equal((await patch({ devices: { counter: { deadband: 'lots' } } })).rsc, 2001);
          await until(async () => (await status(acme))?.ri !== before, 'a new outcome', 30_000);
          const out = (await status(acme))?.value as { status: string; issues: { path: string }[] };
          assert.equal(out.status, 'refused');
          assert.deepEqual(
            out.issues.map((i) => i.path),
            ['devices[0].deadband'],
          );
          const from = Date.now() / 1000 + 1;
          await until(async () => (await readingTimes(acme, from)).length >= 2, 'readings go on', 30_000);
          assert.ok((await readingTimes(acme, from)).every((s) => Math.round(s) % 3 === 0));
        },
      );

      await t.test('a connection setting is refused (allowConnection is off) and says so', async () => {
        const before = (await status(acme))?.ri;
        assert.equal((await patch({ registrar: { url: 'ws://127.0.0.1:9/' } })).rsc, 2001);
        await until(async () => (await status(acme))?.ri !== before, 'a new outcome', 30_000);
        const out = (await status(acme))?.value as {
          status: string;
          issues: { path: string; hint?: string }[];
        };
        assert.equal(out.status, 'refused');
        assert.deepEqual(
          out.issues.map((i) => i.path),
          ['registrar'],
        );
        assert.match(String(out.issues[0]?.hint), /allowConnection/);
      });

      await t.test('after a restart the last outcome is published again; the patch still holds', async () => {
        const last = await status(acme);
        await agent.kill();
        run = spawnRun(config);
        await until(async () => (await status(acme))?.ri !== last?.ri, 'the outcome published again', 30_000);
        assert.deepEqual((await status(acme))?.value, last?.value);
        const from = Date.now() / 1000 + 1;
        await until(
          async () => (await readingTimes(acme, from)).length >= 2,
          'readings after restart',
          30_000,
        );
        assert.ok((await readingTimes(acme, from)).every((s) => Math.round(s) % 3 === 0));
      });

      await t.test('deregister deletes the <node> (with its management objects) and the <AE>', async () => {
        await run?.kill();
        const r = await deregister(config);
        assert.equal(r.code, 0, r.stderr);
        for (const path of [`cse-in/${AE}-node/memory`, `cse-in/${AE}-node`, `cse-in/${AE}`])
          assert.equal((await acme.http('GET', path)).rsc, 4004, `${path} is gone`);
      });
    } finally {
      await run?.kill();
      await acme.dispose();
      rmSync(base, { recursive: true, force: true });
    }
  },
);

test(
  'remote configuration on ACME in the ASN role: config under the <remoteCSE>, notified to the CSE-ID',
  { skip: missing ?? false },
  async () => {
    const cseId = '/id-gw-rc';
    const csr = `cse-in/${cseId.slice(1)}`;
    const acme = await startAcme({ allowCsr: [cseId] });
    const base = mkdtempSync(join(tmpdir(), 'm2m-interop-rc-'));
    const config = join(base, 'config.json');
    writeConfig(
      config,
      acmeAgentConfig(acme, { role: 'asn', name: 'gw-rc-asn', cseId }, { stateDir: join(base, 'state') }),
    );
    const run = spawnRun(config);
    const patch = patcher(acme, csr);
    try {
      await until(
        async () =>
          (await acme.http('GET', `${csr}/config/m2m-agent-config`)).rsc === 2000 &&
          (await acme.http('GET', `${csr}/config-status`)).rsc === 2000,
        `config, our subscription to it and config-status (log: ${JSON.stringify(run.logs.slice(-5))})`,
        30_000,
      );
      assert.equal(
        (await patch({ devices: { counter: { sample: '*/5 * * * * *' } } }, 'Cstranger')).rsc,
        4103,
      );
      assert.equal((await patch({ devices: { counter: { sample: '*/3 * * * * *' } } })).rsc, 2001);
      await until(async () => (await status(acme, csr))?.value.status === 'accepted', 'accepted', 30_000);
      assert.deepEqual((await status(acme, csr))?.value, { status: 'accepted', revision: 1 });
      const from = Date.now() / 1000 + 1;
      await until(async () => (await readingTimes(acme, from, csr)).length >= 3, 'three readings', 30_000);
      const times = await readingTimes(acme, from, csr);
      assert.ok(
        times.every((s) => Math.round(s) % 3 === 0),
        `readings at ${times.join(', ')}`,
      );
      const before = (await status(acme, csr))?.ri;
      assert.equal((await patch({ devices: { counter: { deadband: 'lots' } } })).rsc, 2001);
      await until(async () => (await status(acme, csr))?.ri !== before, 'a new outcome', 30_000);
      const out = (await status(acme, csr))?.value as { status: string; issues: { path: string }[] };
      assert.equal(out.status, 'refused');
      assert.deepEqual(
        out.issues.map((i) => i.path),
        ['devices[0].deadband'],
      );
    } finally {
      await run.kill();
      await acme.dispose();
      rmSync(base, { recursive: true, force: true });
    }
  },
);
