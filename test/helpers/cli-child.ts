/**
 * The real `m2m-agent run` in a child process, for the service tests: spawn it on a config file,
 * read its JSON log lines, wait for a line or for the exit. Also collects the sim counter values
 * a development registrar received, which is how the tests tell that nothing was lost.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Cse } from '../../src/cse/cse.js';
import type { ResourceEvent } from '../../src/cse/events.js';
import { startRegistrar, type Registrar, type RegistrarOptions } from '../../src/cse/server.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';

/** `.ts` under tsx, `.js` when the compiled tests run. */
const SUFFIX = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
/** The CLI entry point beside this checkout (source or compiled). */
export const CLI_MAIN = fileURLToPath(new URL(`../../src/cli/main${SUFFIX}`, import.meta.url));
/** Node flags that load the CLI: tsx for the sources, nothing for the compiled output. */
export const NODE_LOADER: readonly string[] = SUFFIX === '.ts' ? ['--import', 'tsx'] : [];
/** The package root, where the CLI runs (as the installed service does from /opt/m2m-agent). */
export const PACKAGE_DIR = fileURLToPath(new URL(SUFFIX === '.ts' ? '../..' : '../../..', import.meta.url));

/** One JSON log line of the agent (the `<N>` priority prefix removed). */
export interface LogLine {
  readonly level: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

export interface RunChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Log lines so far, in order. */
  readonly logs: readonly LogLine[];
  /** Everything on stderr so far. */
  stderr(): string;
  /** Everything on stdout so far, as written (log lines and anything else). */
  stdout(): string;
  /** Resolves with the first line (already seen or coming) that matches; rejects after `timeoutMs`. */
  waitForLog(match: (l: LogLine) => boolean, what: string, timeoutMs?: number): Promise<LogLine>;
  /** Resolves when the process has exited. */
  readonly exited: Promise<Exit>;
  /** Resolves with the exit, or rejects after `timeoutMs` (the process is left running). */
  waitExit(timeoutMs: number): Promise<Exit>;
  /** SIGKILL if still running, then wait for the exit (cleanup). */
  kill(): Promise<void>;
}

export interface SpawnRunOptions {
  /** Added to a clean environment (no NOTIFY_SOCKET, WATCHDOG_* or M2M_AGENT_CONFIG of ours). */
  readonly env?: NodeJS.ProcessEnv;
  /** A command the node command line is appended to (e.g. `unshare -m ... sh -c '...' sh`). */
  readonly wrap?: readonly string[];
  /** Extra `run` arguments (e.g. `--log-level debug`). */
  readonly args?: readonly string[];
}

function cleanEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const drop = new Set(['NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID', 'M2M_AGENT_CONFIG']);
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !drop.has(k)));
  return { ...env, ...extra };
}

function parseLine(line: string): LogLine | undefined {
  const m = /^<\d>(\{.*\})$/.exec(line);
  if (!m?.[1]) return undefined;
  try {
    const v = JSON.parse(m[1]) as unknown;
    if (typeof v === 'object' && v !== null && 'msg' in v && 'level' in v) return v as LogLine;
  } catch {
    // Not one of our lines (a stray console.log); the raw text is not needed by any test.
  }
  return undefined;
}

/** Spawns `node [tsx] src/cli/main.ts run -c <configPath>`. */
export function spawnRun(configPath: string, o: SpawnRunOptions = {}): RunChild {
  const nodeArgs = [...NODE_LOADER, CLI_MAIN, 'run', '-c', configPath, ...(o.args ?? [])];
  const [cmd, ...cmdArgs] = o.wrap
    ? [...o.wrap, process.execPath, ...nodeArgs]
    : [process.execPath, ...nodeArgs];
  const child = spawn(cmd ?? process.execPath, cmdArgs, {
    cwd: PACKAGE_DIR,
    env: cleanEnv(o.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error(`could not spawn ${cmd ?? ''}`);
  const logs: LogLine[] = [];
  const watchers = new Set<(l: LogLine) => void>();
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  let stdout = '';
  createInterface({ input: child.stdout }).on('line', (text) => {
    stdout += text + '\n';
    const line = parseLine(text);
    if (!line) return;
    logs.push(line);
    for (const w of [...watchers]) w(line);
  });
  const exited = new Promise<Exit>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
    });
  });
  let done: Exit | undefined;
  void exited.then((e) => (done = e));

  const withTimeout = <T>(p: Promise<T>, timeoutMs: number, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `timed out after ${timeoutMs} ms waiting for: ${what}\n--- last log lines ---\n` +
              logs
                .slice(-15)
                .map((l) => JSON.stringify(l))
                .join('\n') +
              `\n--- stderr ---\n${stderr}`,
          ),
        );
      }, timeoutMs);
      p.then(
        (v) => {
          clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });

  return {
    child,
    pid: child.pid,
    logs,
    stderr: () => stderr,
    stdout: () => stdout,
    exited,
    waitForLog(match, what, timeoutMs = 15_000) {
      const seen = logs.find(match);
      if (seen) return Promise.resolve(seen);
      let watcher: ((l: LogLine) => void) | undefined;
      const found = new Promise<LogLine>((resolve, reject) => {
        watcher = (l) => {
          if (match(l)) resolve(l);
        };
        watchers.add(watcher);
        void exited.then((e) => {
          reject(new Error(`agent exited (${e.code ?? e.signal ?? '?'}) before: ${what}\n${stderr}`));
        });
      });
      return withTimeout(found, timeoutMs, what).finally(() => {
        if (watcher) watchers.delete(watcher);
      });
    },
    waitExit: (timeoutMs) => withTimeout(exited, timeoutMs, 'the agent to exit'),
    async kill() {
      if (done === undefined) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Writes a configuration file (JSON, as `run` reads it). */
export function writeConfig(path: string, raw: Record<string, unknown>): void {
  writeFileSync(path, JSON.stringify(raw, null, 2) + '\n');
}

/** The first SenML `v` of a contentInstance's `con` (a JSON string, or already decoded). */
export function senmlValue(con: unknown): number | undefined {
  const records = typeof con === 'string' ? (JSON.parse(con) as unknown) : con;
  if (!Array.isArray(records)) return undefined;
  const first = records[0] as { v?: unknown } | undefined;
  return typeof first?.v === 'number' ? first.v : undefined;
}

/** Values of the contentInstances created under `<ae>/<device>/` on this CSE, in arrival order. */
export interface ValueLog {
  readonly values: number[];
  /** The distinct values, sorted. */
  distinct(): number[];
  /** Values in `from..to` (inclusive) that never arrived. */
  missing(from: number, to: number): number[];
  stop(): void;
}

/** Records sim counter values as they reach the CSE (across registrar restarts on the same `Cse`). */
export function recordValues(cse: Cse, device: string): ValueLog {
  const values: number[] = [];
  const onResource = (e: ResourceEvent): void => {
    if (e.kind !== 'created' || e.ty !== ResourceType.ContentInstance) return;
    const parts = e.path.split('/');
    if (parts[parts.length - 2] !== device) return;
    const v = senmlValue(e.resource['con']);
    if (v !== undefined) values.push(v);
  };
  cse.events.on('resource', onResource);
  const distinct = (): number[] => [...new Set(values)].sort((a, b) => a - b);
  return {
    values,
    distinct,
    missing(from, to) {
      const have = new Set(values);
      const out: number[] = [];
      for (let v = from; v <= to; v++) if (!have.has(v)) out.push(v);
      return out;
    },
    stop: () => {
      cse.events.off('resource', onResource);
    },
  };
}

/**
 * Polls `cond` every 25 ms until it holds, or fails after `timeoutMs` with `what`; fails at once
 * (with its stderr) if `agent` exits meanwhile.
 */
export async function until(
  cond: () => boolean,
  what: string,
  timeoutMs = 15_000,
  agent?: RunChild,
): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (agent && agent.child.exitCode !== null)
      throw new Error(
        `the agent exited (${agent.child.exitCode}) while waiting for: ${what}\n${agent.stderr()}`,
      );
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The development registrar that can go away and come back on the same port with the same CSE
 * (resources and registrations survive, as with a real registrar restart), and can hold back
 * contentInstance CREATEs (a registrar that stops answering in the middle of a drain).
 */
export class FlakyRegistrar {
  private gate: Promise<void> | undefined;
  private openGate: (() => void) | undefined;
  private held = 0;
  private heldWaiters: (() => void)[] = [];

  private constructor(
    readonly cse: Cse,
    readonly port: number,
    private current: Registrar | undefined,
  ) {
    const handle = cse.handle.bind(cse);
    cse.handle = async (req, rctx) => {
      if (this.gate && req.op === Operation.Create && req.ty === ResourceType.ContentInstance) {
        this.held++;
        for (const w of this.heldWaiters.splice(0)) w();
        await this.gate;
      }
      return handle(req, rctx);
    };
  }

  static async start(opts: RegistrarOptions = {}): Promise<FlakyRegistrar> {
    const r = await startRegistrar({ port: 0, ...opts });
    return new FlakyRegistrar(r.cse, r.port, r);
  }

  /** The running registrar (throws while it is down). */
  get registrar(): Registrar {
    if (!this.current) throw new Error('the registrar is down');
    return this.current;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  async down(): Promise<void> {
    const r = this.current;
    this.current = undefined;
    await r?.close();
  }

  async up(): Promise<Registrar> {
    this.current ??= await startRegistrar({ port: this.port, cse: this.cse });
    return this.current;
  }

  /** From now on contentInstance CREATEs wait (unanswered) until `release()`. */
  hold(): void {
    this.gate ??= new Promise((resolve) => {
      this.openGate = resolve;
    });
  }

  /** Lets every held CREATE through and stops holding. */
  release(): void {
    this.openGate?.();
    this.gate = undefined;
    this.openGate = undefined;
  }

  /** Resolves once a CREATE has been held (one is waiting now or was earlier). */
  async heldOne(): Promise<void> {
    if (this.held > 0) return;
    await new Promise<void>((resolve) => this.heldWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.release();
    await this.down();
  }
}
