/**
 * End-to-end harness: the development registrar on 127.0.0.1 (port 0) and the agent built by the
 * composition root, with a temp state directory and the bundled device models. Every part is
 * real: WebSocket over loopback, the file outbox, the sim driver.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistrar, type Registrar, type RegistrarOptions } from '../../src/cse/server.js';
import { loadDeviceModels } from '../../src/config/models.js';
import { validateConfig } from '../../src/config/validate.js';
import { formatIssues } from '../../src/config/format.js';
import { bundledDevicesDir } from '../../src/config/schemas.js';
import type { AgentConfig } from '../../src/config/types.js';
import { startAgent, type RunningAgent, type StartOptions } from '../../src/main.js';
import { memoryLogger, silentLogger, type Logger } from '../../src/util/log.js';
import type { ResourceEvent } from '../../src/cse/events.js';
import { ResourceType } from '../../src/protocol/codes.js';

export function tempDir(prefix = 'm2m-e2e-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Builds a validated config from a raw object (throws with every issue if it is invalid). */
export function makeConfig(raw: Record<string, unknown>): AgentConfig {
  const { models, issues: modelIssues } = loadDeviceModels([bundledDevicesDir()]);
  const { config, issues } = validateConfig(raw, models);
  if (!config) throw new Error(`test config invalid:\n${formatIssues([...modelIssues, ...issues])}`);
  return config;
}

/** A raw config for the given registrar: fast pings/timeouts, a short backoff, `sim` devices. */
export function rawConfig(
  registrar: Registrar,
  stateDir: string,
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    registrar: { url: registrar.url, cseId: registrar.cse.cseId, cseName: registrar.cse.cseName },
    node: { name: 'e2e-gw', appId: 'Nm2m-agent-test', originator: 'Ce2e-gw' },
    serializations: ['cbor', 'json', 'xml'],
    stateDir,
    buffer: { fsyncIntervalMs: 50 },
    link: {
      backoffFloorMs: 100,
      backoffCapMs: 1000,
      pingIntervalSeconds: 5,
      pongTimeoutSeconds: 2,
      requestTimeoutSeconds: 5,
      closeGraceSeconds: 1,
    },
    devices: [
      { name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' },
      { name: 'switch', model: 'sim-switch' },
    ],
    ...over,
  };
}

export interface Harness {
  registrar: Registrar;
  agent: RunningAgent;
  config: AgentConfig;
  stateDir: string;
  logger: Logger;
  /** contentInstances created on the registrar, in order. */
  readonly instances: ResourceEvent[];
  /** Stops the agent (if running) and the registrar, removes the state dir. */
  close(): Promise<void>;
  /** Stops the agent and starts a new one on the same state dir and config. */
  restart(config?: AgentConfig): Promise<RunningAgent>;
}

export interface HarnessOptions {
  registrar?: RegistrarOptions;
  /** Changes to the raw config (shallow merge at the top level); a function sees the registrar (its url). */
  config?: Record<string, unknown> | ((registrar: Registrar) => Record<string, unknown>);
  start?: Partial<StartOptions>;
  /** Keep log lines in memory (`logger.lines`) instead of dropping them. */
  recordLogs?: boolean;
}

export async function startHarness(o: HarnessOptions = {}): Promise<Harness> {
  const registrar = await startRegistrar({ port: 0, ...o.registrar });
  const stateDir = tempDir();
  const over = typeof o.config === 'function' ? o.config(registrar) : o.config;
  const config = makeConfig(rawConfig(registrar, stateDir, over));
  const logger = o.recordLogs ? memoryLogger() : silentLogger;
  const instances: ResourceEvent[] = [];
  registrar.on('resource', (e) => {
    if (e.kind === 'created' && e.ty === ResourceType.ContentInstance) instances.push(e);
  });
  let agent = await startAgent(config, { logger, ...o.start });
  let stopped = false;
  const h: Harness = {
    registrar,
    get agent() {
      return agent;
    },
    config,
    stateDir,
    logger,
    instances,
    async close() {
      if (!stopped) await agent.stop();
      stopped = true;
      await registrar.close();
      rmSync(stateDir, { recursive: true, force: true });
    },
    async restart(next?: AgentConfig) {
      if (!stopped) await agent.stop();
      agent = await startAgent(next ?? config, { logger, ...o.start });
      stopped = false;
      return agent;
    },
  };
  return h;
}

/** Polls `cond` every 20 ms until it holds, or fails after `timeoutMs` with `what`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
