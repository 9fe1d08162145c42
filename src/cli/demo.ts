/**
 * `m2m-agent demo`: the development registrar on a free loopback port and the agent with
 * simulated devices; prints each reading as it arrives at the registrar, then a notification
 * round trip that switches the simulated actuator. No configuration, no hardware.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistrar, type Registrar } from '../cse/server.js';
import type { PrimitiveEvent } from '../cse/registrar-events.js';
import { formatIssues } from '../config/format.js';
import type { AgentConfig } from '../config/types.js';
import { isSerialization, type Serialization } from '../codec/subprotocol.js';
import { startAgent } from '../main.js';
import { isRequest, type RequestPrimitive } from '../protocol/primitive.js';
import { Operation, ResourceType, rscLabel } from '../protocol/codes.js';
import { createLogger, isLogLevel, type LogLevel } from '../util/log.js';
import { UsageError } from './args.js';
import { DEMO_USER, runAsnDemoUser } from './demo-asn.js';
import { AE_NAME, ASN_CSE_ID, demoConfig } from './demo-config.js';
import { EXIT_CONFIG, EXIT_OK, LOG_LEVEL_OPTION, type Command } from './command.js';

export const demoCommand: Command = {
  name: 'demo',
  summary: 'start a development registrar and the agent with simulated devices; show readings arriving',
  usage:
    'm2m-agent demo [--role adn|asn] [--serialization cbor|json|xml] [--imitate acme|mobius] [--duration SECONDS]',
  options: [
    {
      name: 'role',
      value: true,
      help: 'adn (default), or asn: the agent hosts its own CSE, and a user retrieves and commands through the registrar',
    },
    { name: 'serialization', value: true, help: 'preferred serialization (default cbor)' },
    {
      name: 'imitate',
      value: true,
      help: 'make the registrar imitate acme or mobius, and the agent use that compat preset',
    },
    { name: 'duration', value: true, help: 'stop after this many seconds (default: run until Ctrl-C)' },
    { ...LOG_LEVEL_OPTION, help: 'agent log level (default warn, so the demo output stays readable)' },
  ],
  async run(o) {
    const opts = parseDemoOptions(o);
    const stateDir = await mkdtemp(join(tmpdir(), 'm2m-agent-demo-'));
    const registrar = await startDemoRegistrar(opts);
    const { config, issues } = demoConfig(registrar, opts, stateDir);
    if (!config) {
      process.stderr.write(`demo configuration is invalid (a bug):\n${formatIssues(issues)}\n`);
      await registrar.close();
      return EXIT_CONFIG;
    }
    printIntroduction(config, opts.asn);
    registrar.on('primitive', (e) => {
      const line = describeReading(e);
      if (line) out(line);
    });
    const agent = await startAgent(config, { logger: createLogger({ level: opts.level }) });
    const commands = new AbortController();
    showCommandRoundTrip(registrar, config, opts, commands.signal);
    await untilStopped(opts.durationS);
    commands.abort();
    out('');
    out('stopping the demo');
    await agent.stop();
    const s = agent.snapshot();
    out(
      `outbox: ${s.outbox.depth} still waiting, ${s.outbox.quarantined} quarantined; link reconnects: ${s.link.reconnects}`,
    );
    await registrar.close();
    await rm(stateDir, { recursive: true, force: true });
    return EXIT_OK;
  },
};

function out(line: string): void {
  process.stdout.write(line + '\n');
}

interface DemoOptions {
  readonly serialization: Serialization;
  readonly imitate: 'acme' | 'mobius' | undefined;
  readonly asn: boolean;
  readonly durationS: number | undefined;
  readonly level: LogLevel;
}

function parseDemoOptions(o: Readonly<Record<string, string | boolean>>): DemoOptions {
  const str = (k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);
  const serialization = str('serialization') ?? 'cbor';
  if (!isSerialization(serialization)) throw new UsageError('--serialization must be cbor, json or xml');
  const imitate = str('imitate');
  if (imitate !== undefined && imitate !== 'acme' && imitate !== 'mobius')
    throw new UsageError('--imitate must be acme or mobius');
  const role = str('role') ?? 'adn';
  if (role !== 'adn' && role !== 'asn') throw new UsageError('--role must be adn or asn');
  if (role === 'asn' && imitate === 'mobius')
    throw new UsageError(
      '--role asn cannot run against --imitate mobius: Mobius never routes requests over the link',
    );
  const durationS = str('duration') === undefined ? undefined : Number(str('duration'));
  if (durationS !== undefined && !(durationS > 0))
    throw new UsageError('--duration must be a positive number of seconds');
  const level = str('log-level') ?? 'warn';
  if (!isLogLevel(level)) throw new UsageError('--log-level must be debug, info, warn or error');
  return { serialization, imitate, asn: role === 'asn', durationS, level };
}

async function startDemoRegistrar({ imitate, asn }: DemoOptions): Promise<Registrar> {
  const registrar = await startRegistrar({
    port: 0,
    ...(imitate ? { imitate } : {}),
    // ACME refuses a <remoteCSE> from a CSE-ID not on its allow-list: its operator adds ours.
    ...(asn && imitate === 'acme' ? { quirks: { allowedCsrOriginators: [ASN_CSE_ID] } } : {}),
  });
  out(
    `development registrar ${registrar.url} (CSE-ID ${registrar.cse.cseId}, CSEBase ${registrar.cse.cseName}${imitate ? `, imitating ${imitate}` : ''})`,
  );
  return registrar;
}

function printIntroduction(config: AgentConfig, asn: boolean): void {
  out(
    `agent "${AE_NAME}" offering ${config.serializations.join(', ')}; devices: counter (every 2 s), temperature (sine, every 3 s), switch (actuator)`,
  );
  if (asn)
    out(
      `role asn: the agent hosts CSE ${ASN_CSE_ID} (CSEBase ${AE_NAME}) and registers it as a <remoteCSE>; counter and switch are pushed, temperature is only pulled by the user ${DEMO_USER}`,
    );
  out('');
  out(
    `${'device'.padEnd(12)} ${'value'.padEnd(14)} ${'sampled at (UTC)'.padEnd(24)} ${'subprotocol'.padEnd(16)} bytes`,
  );
}

/** Soon after the first readings, a user commands the switch; each NOTIFY it causes gets a line. */
function showCommandRoundTrip(
  registrar: Registrar,
  config: AgentConfig,
  { asn, imitate }: DemoOptions,
  signal: AbortSignal,
): void {
  let readings = 0;
  let switched = false;
  registrar.on('primitive', (e) => {
    if (e.direction !== 'in' || !isRequest(e.primitive) || e.primitive.ty !== ResourceType.ContentInstance)
      return;
    readings++;
    // Soon after the first readings, so that even a short --duration shows the switch turning.
    if (readings === 3 && !switched) {
      switched = true;
      void (asn
        ? runAsnDemoUser({
            url: registrar.url,
            serialization: config.serializations[0] ?? 'json',
            cseBase: registrar.cse.cseName,
            cseId: ASN_CSE_ID,
            name: AE_NAME,
            pulled: 'temperature',
            actuator: 'switch',
            out,
            signal,
          })
        : sendCommands(registrar, out, signal, imitate === 'mobius'));
    }
  });
  registrar.on('notification', (n) => {
    if (n.request.op !== Operation.Notify) return;
    const answer = n.delivery.response ? rscLabel(n.delivery.response.rsc) : n.delivery.outcome;
    out(`>>> NOTIFY ${n.request.rqi} to ${n.target} over its link: answered ${answer}`);
  });
}

/** Resolves after `--duration`, or on Ctrl-C / SIGTERM. */
function untilStopped(durationS: number | undefined): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = durationS === undefined ? undefined : setTimeout(resolve, durationS * 1000);
    const stop = (): void => {
      if (timer) clearTimeout(timer);
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/** One line per contentInstance CREATE that reaches the registrar. */
function describeReading(e: PrimitiveEvent): string | undefined {
  if (e.direction !== 'in' || !isRequest(e.primitive)) return undefined;
  const req: RequestPrimitive = e.primitive;
  if (req.op !== Operation.Create || req.ty !== ResourceType.ContentInstance) return undefined;
  const device = req.to.split('/').pop() ?? req.to;
  const cin = (req.pc?.['m2m:cin'] ?? {}) as { con?: unknown; cnf?: unknown };
  let value = String(cin.con);
  let time = '';
  try {
    const pack = JSON.parse(String(cin.con)) as { bt?: number; v?: number; vb?: boolean; u?: string }[];
    const first = pack[0];
    if (first) {
      const v = typeof first.v === 'number' ? String(Math.round(first.v * 100) / 100) : (first.vb ?? '');
      value = `${v}${first.u ? ` ${first.u}` : ''}`;
      if (first.bt !== undefined) time = new Date(first.bt * 1000).toISOString();
    }
  } catch {
    // senml+cbor content (base64): show it as is
  }
  return `${device.padEnd(12)} ${value.padEnd(14)} ${time.padEnd(24)} ${e.subprotocol.padEnd(16)} ${e.bytes}`;
}

/** A user (here: the registrar itself) writes commands into the switch's command container. */
async function sendCommands(
  registrar: Registrar,
  out: (line: string) => void,
  signal: AbortSignal,
  polled: boolean,
): Promise<void> {
  for (const [i, con] of ['on', 'off'].entries()) {
    await new Promise((r) => setTimeout(r, i === 0 ? 500 : 3000));
    if (signal.aborted) return;
    const rsp = await registrar.cse.handle({
      op: Operation.Create,
      to: `${registrar.cse.cseName}/${AE_NAME}/switch/command`,
      fr: registrar.cse.cseId,
      rqi: `demo-cmd-${i}`,
      rvi: '3',
      ty: ResourceType.ContentInstance,
      pc: { 'm2m:cin': { con } },
    });
    out(
      `>>> command "${con}" written to ${AE_NAME}/switch/command (${rscLabel(rsp.rsc)}); ${polled ? 'the agent finds it by polling (Mobius cannot notify over the link)' : 'the registrar notifies the agent over its link'}`,
    );
  }
}
