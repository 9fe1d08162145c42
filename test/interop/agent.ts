/**
 * The agent as the interop suite runs it against a real ACME: the composition root in this
 * process, a temp state directory, the bundled `sim` models, every frame it sends or receives
 * recorded (to count registrations and see what was routed to it) and its log kept in memory.
 */
import { rmSync } from 'node:fs';
import { makeConfig, tempDir } from '../helpers/agent-harness.js';
import type { AgentConfig } from '../../src/config/types.js';
import { startAgent, type RunningAgent, type StartOptions } from '../../src/main.js';
import {
  isRequest,
  isResponse,
  type Primitive,
  type RequestPrimitive,
} from '../../src/protocol/primitive.js';
import { memoryLogger } from '../../src/util/log.js';

export interface Frame {
  readonly direction: 'in' | 'out';
  readonly primitive: Primitive;
}

export interface InteropAgent {
  readonly config: AgentConfig;
  readonly frames: Frame[];
  readonly logger: ReturnType<typeof memoryLogger>;
  readonly agent: RunningAgent;
  /** Stops the agent and starts it again on the same state directory. */
  restart(): Promise<void>;
  /** Registration CREATEs (`ty`) the agent sent, each with the status it was answered (0: none yet). */
  creates(ty: number): { req: RequestPrimitive; rsc: number }[];
  /** Requests the registrar sent to the agent. */
  routed(): RequestPrimitive[];
  /** The last `-n` frames, one line each (for failure messages). */
  describeFrames(n: number): string;
  /** Log lines at warn or error level. */
  warnings(): { msg: string; fields: Record<string, unknown> }[];
  close(): Promise<void>;
}

/** Starts the agent with `raw` (a config without `stateDir`, which is made here). */
export async function startInteropAgent(
  raw: Record<string, unknown>,
  options: Partial<StartOptions> = {},
): Promise<InteropAgent> {
  const stateDir = tempDir('m2m-interop-');
  const config = makeConfig({ ...raw, stateDir });
  const frames: Frame[] = [];
  const logger = memoryLogger();
  const start = (): Promise<RunningAgent> =>
    startAgent(config, {
      logger,
      ...options,
      onFrame: (e) => frames.push({ direction: e.direction, primitive: e.primitive }),
    });
  let agent = await start();
  let stopped = false;
  return {
    config,
    frames,
    logger,
    get agent() {
      return agent;
    },
    async restart() {
      await agent.stop();
      agent = await start();
    },
    creates(ty) {
      return frames
        .filter((f) => f.direction === 'out' && isRequest(f.primitive) && f.primitive.ty === ty)
        .map((f) => {
          const req = f.primitive as RequestPrimitive;
          const answer = frames.find(
            (g) => g.direction === 'in' && isResponse(g.primitive) && g.primitive.rqi === req.rqi,
          );
          return { req, rsc: answer && isResponse(answer.primitive) ? answer.primitive.rsc : 0 };
        });
    },
    routed() {
      return frames
        .filter((f) => f.direction === 'in' && isRequest(f.primitive))
        .map((f) => f.primitive as RequestPrimitive);
    },
    describeFrames(n) {
      return frames
        .slice(n)
        .map((f) => {
          const p = f.primitive as { op?: number; rsc?: number; to?: string; fr?: string; rqi: string };
          return `${f.direction} ${p.op === undefined ? `rsc ${String(p.rsc)}` : `op ${p.op} ${String(p.to)} fr ${String(p.fr)}`} rqi ${p.rqi}`;
        })
        .join(' | ');
    },
    warnings() {
      return logger.lines.filter((l) => l.level === 'warn' || l.level === 'error');
    },
    async close() {
      if (stopped) return;
      stopped = true;
      await agent.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

export interface SenmlRecord {
  readonly bn?: string;
  readonly bt?: number;
  readonly n?: string;
  readonly v?: number;
  readonly vb?: boolean;
}

/** The SenML records of a contentInstance's `con`. */
export function senml(cin: unknown): SenmlRecord[] {
  const con = (cin as { con?: unknown } | undefined)?.con;
  return JSON.parse(String(con)) as SenmlRecord[];
}

/** Polls `cond` (which may be async) every 100 ms until it holds, or fails after `timeoutMs`. */
export async function until(
  cond: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 20_000,
): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
