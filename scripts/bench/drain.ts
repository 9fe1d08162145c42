/**
 * Draining a backlog: the agent (composition root, file outbox, WebSocket binding) starts with
 * `n` readings already in its outbox (10k; 100k with `--full`) and sends them to the development
 * registrar; the rate counts from the first to the last contentInstance the registrar created.
 * The baseline is plain pipelined round trips of the same create-contentInstance requests, as the
 * same AE, over one binding connection with the same window (the preset's `maxInFlight`) to the
 * same registrar in the same run: what the registrar and the socket allow without an outbox.
 * Goal (issue 5): drain rate >= 0.8 x baseline. A warm-up drain of 1000 records runs first, so
 * both sides meet a warmed-up registrar; then the best of two alternating rounds (one with
 * `--full`). Registrar, agent and baseline client share this process, as they share a board's CPU.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { connect } from '../../src/binding/ws/client.js';
import { startRegistrar, type Registrar } from '../../src/cse/server.js';
import { loadDeviceModels } from '../../src/config/models.js';
import { validateConfig } from '../../src/config/validate.js';
import { bundledDevicesDir } from '../../src/config/schemas.js';
import type { AgentConfig } from '../../src/config/types.js';
import { agentOutbox } from '../../src/agent/reading-queue.js';
import { createRequest } from '../../src/agent/resources.js';
import { senmlContent, toSenml } from '../../src/agent/reading-request.js';
import { startAgent } from '../../src/main.js';
import { FileOutboxStore, Outbox } from '../../src/outbox/index.js';
import { ResourceType } from '../../src/protocol/codes.js';
import { readBootId } from '../../src/util/clock-jump.js';
import { bootClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import type { Bench, BenchOptions, Figure } from './types.js';

const STREAM = 'backlog';
const WARMUP = 1_000;

function makeConfig(registrar: Registrar, stateDir: string): AgentConfig {
  const { models } = loadDeviceModels([bundledDevicesDir()]);
  const { config, issues } = validateConfig(
    {
      registrar: { url: registrar.url, cseId: registrar.cse.cseId, cseName: registrar.cse.cseName },
      node: { name: 'bench-gw', appId: 'Nm2m-agent-bench', originator: 'Cbench-gw' },
      serializations: ['cbor'],
      stateDir,
      // No sampling of its own during the run: once an hour.
      devices: [{ name: STREAM, model: 'sim', sample: '0 0 * * * *' }],
    },
    models,
  );
  if (!config) throw new Error(`bench config invalid: ${issues.map((i) => i.message).join('; ')}`);
  return config;
}

/** Puts `n` pending readings into the agent's outbox while the agent is not running. */
async function prefill(stateDir: string, n: number, from: number): Promise<void> {
  const store = await FileOutboxStore.open(join(stateDir, 'outbox'), {});
  const outbox = new Outbox(store, { maxBytes: 1024 * 1024 * 1024, maxAgeSeconds: 0 });
  const bootId = readBootId();
  // The agent's own way in: a reading record appended as the agent appends it.
  const appender = agentOutbox(outbox, undefined);
  const pending: Promise<void>[] = [];
  for (let i = from; i < from + n; i++) {
    const record = {
      device: STREAM,
      values: [{ n: 'value', v: i }],
      sampledAt: { wallMs: Date.now(), monoMs: bootClock.monotonicMs(), bootId },
    };
    pending.push(appender.append(record, 'bestEffort'));
    if (pending.length >= 512) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  await outbox.close();
}

/** Starts the agent on the prefilled state dir; resolves with the drain rate once `n` arrived. */
async function drain(
  registrar: Registrar,
  config: AgentConfig,
  n: number,
): Promise<{ perSecond: number; aeId: string; aePath: string }> {
  let count = 0;
  let first = 0;
  let last = 0;
  let done!: () => void;
  const finished = new Promise<void>((r) => {
    done = r;
  });
  const onResource = (e: { kind: string; ty: number; path: string }): void => {
    if (e.kind !== 'created' || e.ty !== ResourceType.ContentInstance || !e.path.includes(`/${STREAM}/`))
      return;
    const now = performance.now();
    if (count === 0) first = now;
    last = now;
    if (++count === n) done();
  };
  registrar.on('resource', onResource);
  const agent = await startAgent(config, { logger: silentLogger });
  try {
    await finished;
  } finally {
    registrar.off('resource', onResource);
    await agent.stop();
  }
  const aeId = agent.registration.aeId;
  if (aeId === undefined) throw new Error('the agent did not register');
  return { perSecond: ((n - 1) / (last - first)) * 1000, aeId, aePath: agent.registration.aePath };
}

/** Pipelined create-contentInstance round trips as the agent's AE, `window` in flight. */
async function pipelined(
  registrar: Registrar,
  config: AgentConfig,
  ae: { aeId: string; aePath: string },
  n: number,
  window: number,
): Promise<number> {
  const conn = await connect({ url: registrar.url, serializations: ['cbor'], pingIntervalMs: 0 });
  try {
    let next = 0;
    const one = async (): Promise<void> => {
      while (next < n) {
        const i = next++;
        const cin = senmlContent(toSenml(STREAM, [{ n: 'value', v: i }], Date.now()), 'senml+json');
        const req = createRequest(
          `${ae.aePath}/${STREAM}`,
          ResourceType.ContentInstance,
          { 'm2m:cin': cin },
          { fr: ae.aeId, rqi: `b${i}`, rvi: config.releaseVersion, ec: 2 },
        );
        const rsp = await conn.request(req);
        if (rsp.rsc !== 2001) throw new Error(`baseline request refused: ${rsp.rsc}`);
      }
    };
    const t0 = performance.now();
    await Promise.all(Array.from({ length: window }, one));
    return (n / (performance.now() - t0)) * 1000;
  } finally {
    await conn.close(1000, 'bench done', 1000);
  }
}

async function run(opts: BenchOptions): Promise<Figure[]> {
  const n = opts.full ? 100_000 : 10_000;
  const registrar = await startRegistrar({ port: 0 });
  const stateDir = fs.mkdtempSync(join(os.tmpdir(), 'm2m-bench-drain-'));
  try {
    const config = makeConfig(registrar, stateDir);
    const window = config.registrar.compat.maxInFlight;
    // Warm-up: registers the AE and its containers, warms both sides.
    await prefill(stateDir, WARMUP, 0);
    const ae = await drain(registrar, config, WARMUP);
    await pipelined(registrar, config, ae, WARMUP, window);

    // Best of alternating rounds: the machine's other load moves single runs a lot.
    const rounds = opts.full ? 1 : 2;
    let bestDrain = 0;
    let bestBaseline = 0;
    for (let r = 0; r < rounds; r++) {
      let t0 = performance.now();
      await prefill(stateDir, n, WARMUP + r * n);
      opts.note(`drain: ${n} records buffered in ${Math.round(performance.now() - t0)} ms`);
      t0 = performance.now();
      const drained = await drain(registrar, config, n);
      opts.note(
        `drain: ${n} records delivered in ${Math.round(performance.now() - t0)} ms (agent start included), ` +
          `${Math.round(drained.perSecond)}/s from the first to the last`,
      );
      const baseline = await pipelined(registrar, config, ae, n, window);
      opts.note(`drain: baseline ${Math.round(baseline)}/s`);
      bestDrain = Math.max(bestDrain, drained.perSecond);
      bestBaseline = Math.max(bestBaseline, baseline);
    }
    return [
      {
        name: `drain.backlog.${n >= 100_000 ? '100k' : '10k'}`,
        value: Math.round(bestDrain),
        unit: 'rec/s',
        baseline: Math.round(bestBaseline),
        ratio: Number((bestDrain / bestBaseline).toFixed(3)),
      },
    ];
  } finally {
    await registrar.close();
    fs.rmSync(stateDir, { recursive: true, force: true });
  }
}

/** The drain bench (`npm run bench -- drain`). */
export const drainBench: Bench = { name: 'drain', run };
