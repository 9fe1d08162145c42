/**
 * Device management against a real ACME (release 2026.05.1, `../shared/acme`): what an operator
 * reads with plain HTTP requests as `CAdmin` (the gateway's `<node>`, deviceInfo, memory, its
 * `<AE>`'s `nl`, the health records), kept current after a change, and refused (4103) to others.
 * ACME lets an `<AE>` create a `<node>` under the CSEBase only once the operator granted it
 * (README, "Managing a fleet"): without the grant the agent says so once and runs on.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ResourceType } from '../../src/protocol/codes.js';
import { agentVersion } from '../../src/config/schemas.js';
import { tempDir } from '../helpers/agent-harness.js';
import { acmeAgentConfig, acmeMissing, grantNodeCreation, startAcme } from './acme.js';
import { senml, startInteropAgent, until } from './agent.js';

const missing = acmeMissing();
const AE = 'gw-mgmt';

function writeBoard(root: string, availableMiB: number): void {
  mkdirSync(join(root, 'proc/device-tree'), { recursive: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  writeFileSync(join(root, 'proc/device-tree/model'), 'Raspberry Pi 4 Model B Rev 1.4\0');
  writeFileSync(join(root, 'etc/os-release'), 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n');
  writeFileSync(
    join(root, 'proc/meminfo'),
    `MemTotal:        ${1024 * 1024} kB\nMemAvailable:     ${availableMiB * 1024} kB\n`,
  );
}

test(
  'device management on ACME: node, deviceInfo, memory, health; current; 4103 to others',
  { skip: missing ?? false },
  async (t) => {
    const acme = await startAcme();
    const root = tempDir('m2m-board-');
    writeBoard(root, 512);
    let restarts = 0;
    const a = await startInteropAgent(acmeAgentConfig(acme, { name: AE, originator: `C${AE}` }), {
      sysRoot: root,
      onRestartRequested: () => {
        restarts++;
      },
    });
    try {
      await t.test(
        'without the operator grant ACME refuses the <node>: said once, readings and health go on',
        async () => {
          await until(
            () => a.warnings().some((l) => l.fields.code === 'NODE_NOT_PERMITTED'),
            'the refusal logged',
          );
          await until(
            async () => (await acme.http('GET', `cse-in/${AE}/counter/la`)).rsc === 2000,
            'a reading',
          );
          assert.equal(a.warnings().filter((l) => l.fields.code === 'NODE_NOT_PERMITTED').length, 1);
          await until(
            async () => (await acme.http('GET', `cse-in/${AE}/health/la`)).rsc === 2000,
            'health all the same',
          );
        },
      );

      await t.test(
        'with the grant: the operator reads model, versions, memory and health over HTTP',
        async () => {
          await grantNodeCreation(acme, [`C${AE}`]);
          await a.restart();
          await until(
            async () => (await acme.http('GET', `cse-in/${AE}-node/memory`)).rsc === 2000,
            'memory',
          );
          const node = (await acme.http('GET', `cse-in/${AE}-node`)).body['m2m:nod'] as Record<
            string,
            unknown
          >;
          assert.equal(node.ni, AE);
          await until(
            async () =>
              ((await acme.http('GET', `cse-in/${AE}`)).body['m2m:ae'] as { nl?: unknown }).nl === node.ri,
            'the <AE> links its node (nl)',
          );
          const dvi = (await acme.http('GET', `cse-in/${AE}-node/deviceInfo`)).body['m2m:dvi'] as Record<
            string,
            unknown
          >;
          assert.equal(dvi.mgd, 1007);
          assert.equal(dvi.mod, 'Raspberry Pi 4 Model B Rev 1.4');
          assert.equal(dvi.swv, agentVersion());
          assert.match(String(dvi.osv), /^Debian GNU\/Linux 12 \(bookworm\); Linux /);
          const mem = (await acme.http('GET', `cse-in/${AE}-node/memory`)).body['m2m:mem'] as Record<
            string,
            unknown
          >;
          assert.deepEqual([mem.mgd, mem.mma, mem.mmt], [1003, 512 * 1024 * 1024, 1024 * 1024 * 1024]);
          await until(
            async () => (await acme.http('GET', `cse-in/${AE}/health/la`)).rsc === 2000,
            'a health record',
          );
          const health = senml((await acme.http('GET', `cse-in/${AE}/health/la`)).body['m2m:cin']);
          assert.equal(health[0]?.bn, `${AE}:health:`);
          assert.ok(health.some((r) => r.n === 'outboxDepth' && typeof r.v === 'number'));
          assert.equal(a.creates(ResourceType.Node).filter((c) => c.rsc === 2001).length, 1);
        },
      );

      await t.test('values that changed reach ACME (memory after a restart)', async () => {
        writeBoard(root, 256);
        await a.restart();
        await until(
          async () =>
            ((await acme.http('GET', `cse-in/${AE}-node/memory`)).body['m2m:mem'] as { mma?: unknown })
              .mma ===
            256 * 1024 * 1024,
          'mma updated',
        );
        assert.equal(
          a.creates(ResourceType.Node).filter((c) => c.rsc === 2001).length,
          1,
          'no second <node>',
        );
      });

      await t.test(
        'an UPDATE of rbo by the operator restarts the agent; by anyone else: 4103, nothing',
        async () => {
          await until(
            async () => (await acme.http('GET', `cse-in/${AE}-node/reboot/m2m-agent-reboot`)).rsc === 2000,
            'the subscription to the reboot object',
          );
          const stranger = await acme.http('PUT', `cse-in/${AE}-node/reboot`, {
            origin: 'Cstranger',
            body: { 'm2m:rbo': { rbo: true } },
          });
          assert.equal(stranger.rsc, 4103, JSON.stringify(stranger.body));
          const far = await acme.http('PUT', `cse-in/${AE}-node/reboot`, {
            body: { 'm2m:rbo': { far: true } },
          });
          assert.equal(far.rsc, 2004, JSON.stringify(far.body));
          await until(
            () => a.warnings().some((l) => l.fields.code === 'FACTORY_RESET_REFUSED'),
            'far refused',
          );
          assert.equal(restarts, 0);
          const rsp = await acme.http('PUT', `cse-in/${AE}-node/reboot`, {
            body: { 'm2m:rbo': { rbo: true } },
          });
          assert.equal(rsp.rsc, 2004, JSON.stringify(rsp.body));
          // ACME stores rbo false again at once; the notification of modified attributes names it.
          assert.equal((rsp.body['m2m:rbo'] as { rbo?: unknown }).rbo, false);
          await until(() => restarts === 1, 'the restart requested over the link');
        },
      );

      await t.test('an originator that is neither the operator nor the gateway gets 4103', async () => {
        for (const path of [
          `cse-in/${AE}-node`,
          `cse-in/${AE}-node/deviceInfo`,
          `cse-in/${AE}-node/memory`,
          `cse-in/${AE}/health/la`,
        ]) {
          const rsp = await acme.http('GET', path, { origin: 'Cstranger' });
          assert.equal(rsp.rsc, 4103, `${path}: ${JSON.stringify(rsp.body)}`);
        }
      });
    } finally {
      await a.close();
      await acme.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  },
);

test(
  'device management on ACME in the ASN role: node granted to the CSE-ID, nl on the <remoteCSE>, reboot obeyed',
  { skip: missing ?? false },
  async () => {
    const cseId = '/id-gw-mgmt';
    const csr = `cse-in/${cseId.slice(1)}`;
    const acme = await startAcme({ allowCsr: [cseId] });
    const root = tempDir('m2m-board-');
    writeBoard(root, 300);
    let a: Awaited<ReturnType<typeof startInteropAgent>> | undefined;
    let restarts = 0;
    try {
      await grantNodeCreation(acme, [cseId]);
      a = await startInteropAgent(acmeAgentConfig(acme, { role: 'asn', name: 'gw-asn', cseId }), {
        sysRoot: root,
        onRestartRequested: () => {
          restarts++;
        },
      });
      await until(async () => (await acme.http('GET', 'cse-in/gw-asn-node/memory')).rsc === 2000, 'memory');
      const node = (await acme.http('GET', 'cse-in/gw-asn-node')).body['m2m:nod'] as Record<string, unknown>;
      await until(
        async () => ((await acme.http('GET', csr)).body['m2m:csr'] as { nl?: unknown }).nl === node.ri,
        'the <remoteCSE> links its node',
      );
      await until(async () => (await acme.http('GET', `${csr}/health/la`)).rsc === 2000, 'a health record');
      const mem = (await acme.http('GET', 'cse-in/gw-asn-node/memory')).body['m2m:mem'] as Record<
        string,
        unknown
      >;
      assert.equal(mem.mma, 300 * 1024 * 1024);
      assert.equal((await acme.http('GET', 'cse-in/gw-asn-node/memory', { origin: 'Cstranger' })).rsc, 4103);

      // Reboot: ACME notifies our CSE-ID over the link (the <remoteCSE>'s poa is ws://default).
      await until(
        async () => (await acme.http('GET', 'cse-in/gw-asn-node/reboot/m2m-agent-reboot')).rsc === 2000,
        'the subscription to the reboot object',
      );
      const stranger = await acme.http('PUT', 'cse-in/gw-asn-node/reboot', {
        origin: 'Cstranger',
        body: { 'm2m:rbo': { rbo: true } },
      });
      assert.equal(stranger.rsc, 4103, JSON.stringify(stranger.body));
      const rsp = await acme.http('PUT', 'cse-in/gw-asn-node/reboot', { body: { 'm2m:rbo': { rbo: true } } });
      assert.equal(rsp.rsc, 2004, JSON.stringify(rsp.body));
      await until(() => restarts === 1, 'the restart requested over the link');
    } finally {
      await a?.close();
      await acme.dispose();
      rmSync(root, { recursive: true, force: true });
    }
  },
);
