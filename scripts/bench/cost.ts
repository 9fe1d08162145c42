/**
 * Cost per reading (issue 14). `m2m-agent run` with ten `sim` counters sampled every second
 * (10 readings/s, real outbox and state files on disk) against the development registrar running
 * in another process, through a counting TCP proxy; beside it, in the same window, the baseline:
 * a bare `ws` client process (`cost-baseline.ts`) sending the agent's own request frames
 * (captured on the wire) at the same rate through its own proxy. Run twice: without and with
 * permessage-deflate (agent `link.compression`; the baseline's `ws` offers the same).
 * Per reading (a reading = one data frame the client sent in the window):
 * - `cpu`: user + system CPU ms (getrusage of the whole process, all threads);
 * - `vcsw`: voluntary context switches, all threads (getrusage);
 * - `fsyncs`: fsync/fdatasync calls, counted by `cost-probe.ts` preloaded into both processes
 *   (wraps Node's fsync entry points; no strace, no privileges, so it works in CI);
 * - `written`: bytes the process wrote with write(2) and friends (/proc/PID/io `wchar`) minus
 *   what it sent on its socket (counted by the proxy): file writes, logs included;
 *   `disk` the block-layer bytes (`write_bytes`; 0 where the page cache did not flush yet);
 * - `wire.up` / `wire.down`: TCP payload each way (frames, pings, and the handshake when the
 *   window holds one);
 * and `rss`: median VmRSS over the window, sampled every 250 ms.
 * Default run: 5 s settle, 20 s window per mode (about a minute). `--full`: 180 s and 60 s, the
 * steady state: V8 keeps optimising the agent's code for the first 3-4 minutes at this rate, and
 * that compiling (a V8 worker thread) is counted in the agent's CPU (perf, unit's flags: TurboFan
 * jobs were still 17 % of the agent's CPU 3-4 minutes after start; one quiet run fell from 0.52
 * to 0.33-0.35 ms/reading by the fourth minute).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFLATE_OFFER } from '../../src/binding/ws/client.js';
import type { ProbeReport } from './cost-probe.js';
import { startCountingProxy, type CountingProxy, type WireCounts } from './cost-wire.js';
import type { Bench, BenchOptions, Figure } from './types.js';

const SUFFIX = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const here = (rel: string): string => fileURLToPath(new URL(rel, import.meta.url));
const CLI = here(`../../src/cli/main${SUFFIX}`);
const PROBE = here(`./cost-probe${SUFFIX}`);
const BASELINE = here(`./cost-baseline${SUFFIX}`);
const LOADER: readonly string[] = SUFFIX === '.ts' ? ['--import', 'tsx'] : [];
const DEVICES = 10;
const MB = 1024 * 1024;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The node flags the systemd unit runs the agent with (its `NODE_OPTIONS`), so that the figures
 * are those of the agent as a board runs it. The baseline keeps node's defaults.
 */
function unitNodeFlags(): string {
  for (const rel of ['../../../systemd/m2m-agent.service', '../../systemd/m2m-agent.service']) {
    try {
      const unit = readFileSync(here(rel), 'utf8');
      return /^Environment="NODE_OPTIONS=([^"]*)"/m.exec(unit)?.[1] ?? '';
    } catch {
      // not at this depth (dist/ or source)
    }
  }
  return '';
}

/**
 * Node flags for the agent only: the unit's by default; `M2M_BENCH_AGENT_NODE_FLAGS` (space-separated,
 * empty for node's defaults) replaces them, to measure V8 settings both ways.
 */
const AGENT_NODE_FLAGS = (process.env.M2M_BENCH_AGENT_NODE_FLAGS ?? unitNodeFlags())
  .split(/\s+/)
  .filter(Boolean);

function spawnProbed(args: readonly string[], dir: string, nodeFlags: readonly string[] = []): ChildProcess {
  return spawn(process.execPath, [...nodeFlags, ...LOADER, '--import', PROBE, ...args], {
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
}

function probe(child: ChildProcess): Promise<ProbeReport> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => {
      reject(new Error('probe did not answer'));
    }, 5000);
    child.once('message', (m) => {
      clearTimeout(t);
      resolve(m as ProbeReport);
    });
    child.send('probe');
  });
}

function procIo(pid: number): { wchar: number; writeBytes: number } {
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  const get = (k: string): number => Number(new RegExp(`^${k}: (\\d+)$`, 'm').exec(io)?.[1] ?? NaN);
  return { wchar: get('wchar'), writeBytes: get('write_bytes') };
}

function rssBytes(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? NaN) * 1024;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

interface Snapshot {
  probe: ProbeReport;
  io: { wchar: number; writeBytes: number };
  wire: WireCounts;
}

async function snap(child: ChildProcess, proxy: CountingProxy): Promise<Snapshot> {
  if (child.pid === undefined) throw new Error('no pid');
  return { probe: await probe(child), io: procIo(child.pid), wire: { ...proxy.counts } };
}

/** Per-reading figures of one process over a window. */
function perReading(a: Snapshot, b: Snapshot, rss: readonly number[]): Record<string, number> {
  const readings = b.wire.upDataFrames - a.wire.upDataFrames;
  const up = b.wire.up - a.wire.up;
  const cpuUs =
    b.probe.usage.userCPUTime +
    b.probe.usage.systemCPUTime -
    a.probe.usage.userCPUTime -
    a.probe.usage.systemCPUTime;
  return {
    readings,
    cpu: cpuUs / 1000 / readings,
    vcsw: (b.probe.usage.voluntaryContextSwitches - a.probe.usage.voluntaryContextSwitches) / readings,
    fsyncs: (b.probe.fsyncs - a.probe.fsyncs) / readings,
    written: (b.io.wchar - a.io.wchar - up) / readings,
    disk: (b.io.writeBytes - a.io.writeBytes) / readings,
    'wire.up': up / readings,
    'wire.down': (b.wire.down - a.wire.down) / readings,
    rss: median(rss) / MB,
  };
}

const UNITS: Record<string, string> = {
  cpu: 'ms/reading',
  vcsw: 'switches/reading',
  fsyncs: 'fsyncs/reading',
  written: 'B/reading',
  disk: 'B/reading',
  'wire.up': 'B/reading',
  'wire.down': 'B/reading',
  rss: 'MiB',
};

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) =>
    child.once('exit', () => {
      resolve();
    }),
  );
}

/** The registrar in its own process; resolves with its URL once it listens. */
async function spawnRegistrar(dir: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [...LOADER, CLI, 'registrar', '--port', '0'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      text += s;
      const m = /"url":"(ws:\/\/[^"]+)"/.exec(text);
      if (m?.[1]) resolve(m[1]);
    });
    child.once('exit', (code) => {
      reject(new Error(`registrar exited with ${code}`));
    });
  });
  child.stdout?.resume();
  return { child, url };
}

interface Mode {
  readonly name: 'plain' | 'deflate';
  readonly deflate: boolean;
}
const ALL_MODES: readonly Mode[] = [
  { name: 'plain', deflate: false },
  { name: 'deflate', deflate: true },
];
/** `M2M_BENCH_COST_MODES=plain` measures one mode only, for quicker comparisons (deflate needs plain first). */
/**
 * `M2M_BENCH_COST_SETTLE_S=600` settles that long before the window: V8 is still compiling the
 * agent's code 3-4 minutes after start (`--full`'s 180 s); a board runs for weeks.
 */
const SETTLE_S = process.env.M2M_BENCH_COST_SETTLE_S
  ? Number(process.env.M2M_BENCH_COST_SETTLE_S)
  : undefined;
const MODES = ALL_MODES.filter((m) =>
  (process.env.M2M_BENCH_COST_MODES ?? 'plain,deflate').split(',').includes(m.name),
);

async function runMode(
  o: BenchOptions,
  mode: Mode,
  registrarUrl: string,
  dir: string,
  frames: { payload: Buffer; binary: boolean }[] | undefined,
): Promise<{ figures: Figure[]; frames: { payload: Buffer; binary: boolean }[] }> {
  const settleMs = SETTLE_S !== undefined ? SETTLE_S * 1000 : o.full ? 180_000 : 5000;
  const windowMs = o.full ? 60_000 : 20_000;
  const children: ChildProcess[] = [];
  const proxies: CountingProxy[] = [];
  try {
    const agentProxy = await startCountingProxy(registrarUrl);
    proxies.push(agentProxy);
    const config = join(dir, `config-${mode.name}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        registrar: { url: agentProxy.url, cseId: '/id-in', cseName: 'cse-in' },
        node: { name: `cost-${mode.name}`, appId: 'Nm2m-agent-bench', originator: `Ccost-${mode.name}` },
        stateDir: join(dir, `state-${mode.name}`),
        logLevel: 'warn',
        link: { compression: mode.deflate },
        devices: Array.from({ length: DEVICES }, (_, i) => ({
          name: `sim-${i}`,
          model: 'sim',
          params: { waveform: 'counter' },
          sample: '* * * * * *',
        })),
      }),
    );
    const agent = spawnProbed([CLI, 'run', '-c', config], dir, AGENT_NODE_FLAGS);
    children.push(agent);
    // Settle: registration done and the readings flowing.
    const t0 = Date.now();
    while (agentProxy.counts.upDataFrames < 3 * DEVICES) {
      if (agent.exitCode !== null) throw new Error(`the agent exited with ${agent.exitCode}`);
      if (Date.now() - t0 > 60_000) throw new Error('the agent sent no readings within 60 s');
      await sleep(50);
    }
    const sent = frames ?? (await agentProxy.capture(DEVICES));
    const baseProxy = await startCountingProxy(registrarUrl);
    proxies.push(baseProxy);
    const plan = join(dir, `baseline-${mode.name}.json`);
    writeFileSync(
      plan,
      JSON.stringify({
        url: baseProxy.url,
        subprotocol: sent[0]?.binary === false ? 'oneM2M.json' : 'oneM2M.cbor',
        deflate: mode.deflate ? DEFLATE_OFFER : false,
        frames: sent.map((f) => ({ b64: f.payload.toString('base64'), binary: f.binary })),
      }),
    );
    const base = spawnProbed([BASELINE, plan], dir);
    children.push(base);
    o.note(
      `${mode.name}: agent node flags [${AGENT_NODE_FLAGS.join(' ')}]; settling ${settleMs} ms, then measuring ${windowMs} ms`,
    );
    await sleep(settleMs);
    const [a0, b0] = [await snap(agent, agentProxy), await snap(base, baseProxy)];
    const rssA: number[] = [];
    const rssB: number[] = [];
    const end = Date.now() + windowMs;
    while (Date.now() < end) {
      rssA.push(rssBytes(agent.pid ?? 0));
      rssB.push(rssBytes(base.pid ?? 0));
      await sleep(250);
    }
    const [a1, b1] = [await snap(agent, agentProxy), await snap(base, baseProxy)];
    const A = perReading(a0, a1, rssA);
    const B = perReading(b0, b1, rssB);
    o.note(
      `${mode.name}: agent ${A.readings} readings, baseline ${B.readings}; ` +
        `agent frames compressed: ${a1.wire.upCompressedFrames - a0.wire.upCompressedFrames}`,
    );
    const figures = Object.keys(UNITS).map((k): Figure => {
      const value = A[k] ?? NaN;
      const baseline = B[k] ?? NaN;
      return {
        name: `cost.${k}.${mode.name}`,
        value,
        unit: UNITS[k] ?? '',
        baseline,
        ...(baseline > 0 ? { ratio: value / baseline } : {}),
      };
    });
    return { figures, frames: sent };
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map(exited));
    for (const p of proxies) await p.close();
  }
}

async function cost(o: BenchOptions): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-cost-'));
  const registrar = await spawnRegistrar(dir);
  try {
    const figures: Figure[] = [];
    let frames: { payload: Buffer; binary: boolean }[] | undefined;
    for (const mode of MODES) {
      // The proxy reads the agent's frames (for the baseline to send) only off an uncompressed link.
      if (frames === undefined && mode.deflate)
        throw new Error(
          'M2M_BENCH_COST_MODES: deflate needs plain before it (plain,deflate): the baseline sends the frames captured in plain mode',
        );
      const r = await runMode(o, mode, registrar.url, dir, frames);
      frames ??= r.frames;
      figures.push(...r.figures);
    }
    return figures;
  } finally {
    registrar.child.kill('SIGTERM');
    await exited(registrar.child);
    rmSync(dir, { recursive: true, force: true });
  }
}

export const costBench: Bench = { name: 'cost', run: cost };
