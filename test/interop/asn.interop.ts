/**
 * The ASN role against a real ACME CSE (release 2026.05.1, `../shared/acme`), for `oneM2M.cbor`
 * and `oneM2M.json`: the `<remoteCSE>` registered once (our CSE-ID on ACME's
 * allowedCSROriginators), pushed readings landing under the name ACME gave it (the CSE-ID without
 * its slash, not `node.name`), ACME routing a RETRIEVE of a pull-only device's `la`, a discovery
 * (which ACME forwards with `op` -2) and a command CREATE over the agent's link, a restart
 * without a second registration, and a `<remoteCSE>` deleted by the admin re-created once.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { acmeMissing, startAcme, type Acme } from './acme.js';
import { senml, startInteropAgent, until } from './agent.js';

const missing = acmeMissing();

/** Number of contentInstances in a container on ACME (0 if it is not there). */
async function count(acme: Acme, container: string): Promise<number> {
  const rsp = await acme.http('GET', `${container}?rcn=4`);
  if (rsp.rsc !== 2000) return 0;
  const cnt = rsp.body['m2m:cnt'] as Record<string, unknown> | undefined;
  return ((cnt?.['m2m:cin'] ?? []) as unknown[]).length;
}

for (const serialization of ['cbor', 'json'] as const) {
  test(`ASN on ACME over oneM2M.${serialization}`, { skip: missing ?? false }, async (t) => {
    const name = `gw-${serialization}`;
    const cseId = `/id-gw-${serialization}`;
    // ACME's naming: the <remoteCSE> is `id-gw-...` (ri and rn), whatever rn we asked.
    const csr = `cse-in/${cseId.slice(1)}`;
    const ae = `~${cseId}/${name}/${name}`;
    const acme = await startAcme({ allowCsr: [cseId] });
    const a = await startInteropAgent({
      registrar: { url: acme.wsUrl, cseId: '/id-in', cseName: 'cse-in', compat: 'acme' },
      node: { role: 'asn', name, cseId, appId: 'Nm2m-agent-interop' },
      trustedOriginators: ['/id-in/CAdmin'],
      serializations: [serialization],
      buffer: { fsyncIntervalMs: 50 },
      link: {
        backoffFloorMs: 200,
        backoffCapMs: 1000,
        requestTimeoutSeconds: 5,
        closeGraceSeconds: 1,
        pingIntervalSeconds: 5,
        pongTimeoutSeconds: 3,
      },
      devices: [
        { name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' },
        {
          name: 'pulled',
          model: 'sim',
          params: { waveform: 'counter' },
          sample: '* * * * * *',
          push: false,
        },
        { name: 'switch', model: 'sim-switch' },
      ],
    });
    try {
      await t.test(
        '<remoteCSE> registered once; pushed readings land under the name ACME gave it',
        async () => {
          await until(async () => (await count(acme, `${csr}/counter`)) >= 2, `readings in ${csr}/counter`);
          assert.deepEqual(
            a.creates(ResourceType.RemoteCSE).map((c) => c.rsc),
            [2001],
          );
          assert.equal(
            a.agent.registration.current()?.rn,
            cseId.slice(1),
            'the name is kept with the identity',
          );
          assert.equal((await acme.http('GET', `cse-in/${name}`)).rsc, 4004, 'nothing under node.name');
          const create = a.creates(ResourceType.RemoteCSE)[0]?.req;
          assert.equal(
            (create?.pc?.['m2m:csr'] as { poa?: unknown } | undefined)?.poa?.toString(),
            'ws://default',
          );
        },
      );

      await t.test(
        'ACME routes a RETRIEVE of a pull-only device and a discovery (op -2) to the ASN',
        async () => {
          assert.equal(await count(acme, `${csr}/pulled`), 0, 'pull only: nothing pushed');
          await until(
            () => a.agent.asn?.local.resource(`${name}/${name}/pulled/la`) !== undefined,
            'a stored pulled reading',
          );
          const la = await acme.http('GET', `${ae}/pulled/la`);
          assert.equal(la.rsc, 2000, JSON.stringify(la.body));
          assert.match(senml(la.body['m2m:cin'])[0]?.bn ?? '', /^pulled:/);
          const found = await acme.http('GET', `${ae}/pulled?fu=1&ty=4`);
          assert.equal(found.rsc, 2000, JSON.stringify(found.body));
          const uril = found.body['m2m:uril'] as unknown[] | undefined;
          assert.ok(Array.isArray(uril) && uril.length > 0, JSON.stringify(found.body));
          const routed = a.routed();
          assert.ok(routed.some((r) => r.op === Operation.Retrieve && r.to.endsWith('/pulled/la')));
          assert.ok(
            routed.some((r) => r.op === Operation.Retrieve && r.fc?.fu === 1),
            'the discovery reached us',
          );
        },
      );

      await t.test('ACME routes a command CREATE to the ASN; the new state is pushed back', async () => {
        const cmd = await acme.http('POST', `${ae}/switch/command`, {
          ty: ResourceType.ContentInstance,
          body: { 'm2m:cin': { con: 'on' } },
        });
        assert.equal(
          cmd.rsc,
          2001,
          `${JSON.stringify(cmd.body)}; frames: ${a.describeFrames(-12)}; warnings: ${JSON.stringify(a.warnings())}; debug: ${JSON.stringify(a.logger.lines.slice(-15))}`,
        );
        await until(async () => {
          const la = await acme.http('GET', `${csr}/switch/la`);
          const r = la.rsc === 2000 ? senml(la.body['m2m:cin'])[0] : undefined;
          return r?.v === 1 || r?.vb === true;
        }, 'the switch on, pushed to ACME');
      });

      await t.test('a restart does not register again; routing works again', async () => {
        const before = await count(acme, `${csr}/counter`);
        await a.restart();
        await until(
          async () => (await count(acme, `${csr}/counter`)) >= before + 2,
          'readings after the restart',
        );
        assert.equal(a.creates(ResourceType.RemoteCSE).length, 1);
        await until(
          () => a.agent.asn?.local.resource(`${name}/${name}/pulled/la`) !== undefined,
          'a stored pulled reading after the restart',
        );
        assert.equal((await acme.http('GET', `${ae}/pulled/la`)).rsc, 2000);
      });

      await t.test('a <remoteCSE> deleted by the admin is re-created once', async () => {
        const del = await acme.http('DELETE', csr);
        assert.equal(del.rsc, 2002, JSON.stringify(del.body));
        await until(
          async () => (await count(acme, `${csr}/counter`)) >= 2,
          'readings under the re-created one',
        );
        assert.deepEqual(
          a.creates(ResourceType.RemoteCSE).map((c) => c.rsc),
          [2001, 2001],
        );
        await until(
          async () => (await acme.http('GET', `${ae}/pulled/la`)).rsc === 2000,
          'routed again after re-registration',
        );
      });

      await t.test('no log line blames the configuration', () => {
        const blaming = a
          .warnings()
          .filter((l) => /node\.(name|cseId|appId|originator)/.test(JSON.stringify(l)));
        assert.deepEqual(blaming, []);
      });
    } finally {
      await a.close();
      await acme.dispose();
    }
  });
}

if (missing) console.log(`# interop ASN suite skipped: ${missing}`);
