/**
 * The ADN role against a real ACME CSE (release 2026.05.1, `../shared/acme`), for `oneM2M.cbor`
 * and `oneM2M.json`: registration once, readings in order with their sampling time, a command
 * written over ACME's HTTP API reaching the actuator by NOTIFY over the agent's link, a restart
 * without a second registration, an `<AE>` deleted by the admin re-created once, and an outage of
 * ACME (stopped, started empty on the same ports) that loses nothing buffered.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceType } from '../../src/protocol/codes.js';
import { isRequest, isResponse, type RequestPrimitive } from '../../src/protocol/primitive.js';
import { acmeMissing, startAcme, type Acme } from './acme.js';
import { senml, startInteropAgent, until, type InteropAgent } from './agent.js';

const missing = acmeMissing();

/** Counter values stored in ACME's `counter` container, in the order ACME stored them. */
async function stored(acme: Acme, ae: string): Promise<{ v: number; bt: number }[]> {
  const rsp = await acme.http('GET', `cse-in/${ae}/counter?rcn=4`);
  if (rsp.rsc !== 2000) return [];
  const cins = ((rsp.body['m2m:cnt'] as Record<string, unknown> | undefined)?.['m2m:cin'] ?? []) as unknown[];
  return cins.map((c) => {
    const r = senml(c)[0];
    return { v: Number(r?.v), bt: Number(r?.bt) };
  });
}

/** Counter values the agent sent and ACME acknowledged (2001), among the first `upTo` frames. */
function acknowledged(a: InteropAgent, upTo = a.frames.length): number[] {
  const frames = a.frames.slice(0, upTo);
  const ok = new Set(
    frames
      .filter((f) => f.direction === 'in' && isResponse(f.primitive) && f.primitive.rsc === 2001)
      .map((f) => f.primitive.rqi),
  );
  return frames
    .filter(
      (f) =>
        f.direction === 'out' && isRequest(f.primitive) && f.primitive.ty === ResourceType.ContentInstance,
    )
    .map((f) => f.primitive as RequestPrimitive)
    .filter((r) => ok.has(r.rqi) && r.to.endsWith('/counter'))
    .map((r) => Number(senml(r.pc?.['m2m:cin'])[0]?.v));
}

/** The switch's last reported state in ACME (`la` of its container). */
async function switchState(acme: Acme, ae: string): Promise<number | undefined> {
  const la = await acme.http('GET', `cse-in/${ae}/switch/la`);
  if (la.rsc !== 2000) return undefined;
  const r = senml(la.body['m2m:cin'])[0];
  return r?.vb === undefined ? r?.v : Number(r.vb);
}

for (const serialization of ['cbor', 'json'] as const) {
  test(`ADN on ACME over oneM2M.${serialization}`, { skip: missing ?? false }, async (t) => {
    const acme0 = await startAcme();
    let acme = acme0;
    const ae = `gw-${serialization}`;
    const a = await startInteropAgent({
      registrar: { url: acme.wsUrl, cseId: '/id-in', cseName: 'cse-in', compat: 'acme' },
      node: { name: ae, appId: 'Nm2m-agent-interop', originator: `C${ae}` },
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
        { name: 'switch', model: 'sim-switch' },
      ],
    });
    try {
      await t.test(
        'first start registers once; readings arrive in order with their sampling time',
        async () => {
          await until(async () => (await stored(acme, ae)).length >= 3, 'three readings in ACME');
          // ACME agrees on permessage-deflate: these readings went through our synchronous deflate.
          assert.equal(a.agent.snapshot().link.compression, 'permessage-deflate');
          const aes = a.creates(ResourceType.AE);
          assert.deepEqual(
            aes.map((c) => c.rsc),
            [2001],
          );
          const values = await stored(acme, ae);
          for (let i = 1; i < values.length; i++) {
            assert.ok(values[i - 1]!.v < values[i]!.v, `values in order: ${JSON.stringify(values)}`);
            assert.ok(values[i - 1]!.bt < values[i]!.bt, 'sampling times in order');
          }
          const now = Date.now() / 1000;
          assert.ok(
            values.every((x) => x.bt > now - 120 && x.bt <= now + 1),
            'sampling times are real times',
          );
        },
      );

      await t.test(
        'a command written over the HTTP API reaches the actuator by NOTIFY, its state comes back',
        async () => {
          await until(async () => (await switchState(acme, ae)) === 0, 'the initial switch state');
          const cmd = await acme.http('POST', `cse-in/${ae}/switch/command`, {
            ty: ResourceType.ContentInstance,
            body: { 'm2m:cin': { con: 'on' } },
          });
          assert.equal(cmd.rsc, 2001, JSON.stringify(cmd.body));
          await until(async () => (await switchState(acme, ae)) === 1, 'the switch on, reported back');
          const notify = a.routed().find((r) => r.op === 5);
          assert.ok(notify, 'the command came as a NOTIFY over the agent link');
        },
      );

      await t.test('a restart does not register again', async () => {
        const before = (await stored(acme, ae)).length;
        await a.restart();
        await until(async () => (await stored(acme, ae)).length >= before + 2, 'readings after the restart');
        assert.equal(a.creates(ResourceType.AE).length, 1);
      });

      await t.test('an <AE> deleted by the admin is re-created once and the readings continue', async () => {
        const del = await acme.http('DELETE', `cse-in/${ae}`);
        assert.equal(del.rsc, 2002, JSON.stringify(del.body));
        await until(async () => (await stored(acme, ae)).length >= 2, 'readings in the re-created container');
        assert.deepEqual(
          a.creates(ResourceType.AE).map((c) => c.rsc),
          [2001, 2001],
        );
      });

      await t.test('an outage of ACME (stopped, started empty) loses nothing that was buffered', async () => {
        await until(() => acknowledged(a).length > 0, 'readings acknowledged');
        await acme.stop();
        const cut = a.frames.length;
        const before = acknowledged(a, cut);
        await until(() => a.agent.outbox.stats().depth >= 3, 'three readings buffered during the outage');
        acme = await startAcme({ httpPort: acme0.httpPort, wsPort: acme0.wsPort });
        const last = Math.max(...before);
        // Every value from the first one ACME #1 stored to one sampled well after the outage:
        // in ACME #1 (acknowledged there) or in ACME #2.
        const missingValues = async (): Promise<number[]> => {
          const after = new Set((await stored(acme, ae)).map((x) => x.v));
          const lost: number[] = [];
          for (let v = Math.min(...before); v <= last + 6; v++)
            if (!before.includes(v) && !after.has(v)) lost.push(v);
          return lost;
        };
        await until(
          async () => (await missingValues()).length === 0,
          'every reading in one of the two ACMEs',
          60_000,
        ).catch(async (err: unknown) => {
          const diag = {
            lost: await missingValues(),
            outbox: a.agent.outbox.stats(),
            warnings: a.warnings(),
          };
          throw new Error(`${String(err)}: ${JSON.stringify(diag)}`);
        });
        // ACME serves its WebSocket a moment before its CSEBase exists: a registration in that
        // moment gets 4004 and is retried; only one may succeed.
        const aeCreates = a.creates(ResourceType.AE).map((c) => c.rsc);
        assert.deepEqual(
          aeCreates.filter((rsc) => rsc !== 4004),
          [2001, 2001, 2001],
          `registered once with the new ACME: ${JSON.stringify(aeCreates)}`,
        );
      });

      await t.test('no log line blames the configuration', () => {
        const blaming = a.warnings().filter((l) => /node\.(name|appId|originator)/.test(JSON.stringify(l)));
        assert.deepEqual(blaming, []);
      });
    } finally {
      await a.close();
      await acme.dispose();
      if (acme !== acme0) await acme0.dispose();
    }
  });
}

if (missing) console.log(`# interop ADN suite skipped: ${missing}`);
