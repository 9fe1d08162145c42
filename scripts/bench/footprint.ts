/**
 * Footprint of the service: `m2m-agent run` with four `sim` devices (model schedules, every 10 s)
 * against the development registrar on loopback (in this process). Figures: idle RSS and CPU once
 * registered, each beside a bare `node` that imports the same dependencies (ws, cbor-x, serialport,
 * fast-xml-parser) and idles, measured over the same window in the same run; and the
 * time from spawning the process to its `<AE>` existing on the registrar, beside the time the bare
 * process takes to import those dependencies. Goal (issue 7): RSS ratio <= 1.2.
 * `rss_anon` is the private part of RSS (RssAnon): VmRSS also counts pages of the node binary the
 * process touched, shared with every other node process and reclaimable; node-cron's scheduler
 * alone touched ~6 MB of them (ICU data, through `Intl.DateTimeFormat`) before the agent stopped
 * using it.
 * Both processes get the same loader: plain `node` on the compiled output (`npm run bench`), tsx
 * (which adds its own memory to both) when this file runs from source.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { startRegistrar } from '../../src/cse/server.js';
import type { ResourceEvent } from '../../src/cse/events.js';
import { ResourceType } from '../../src/protocol/codes.js';
import type { Bench, BenchOptions, Figure } from './types.js';

const SUFFIX = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const CLI = fileURLToPath(new URL(`../../src/cli/main${SUFFIX}`, import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL(SUFFIX === '.ts' ? '../..' : '../../..', import.meta.url));
const LOADER: readonly string[] = SUFFIX === '.ts' ? ['--import', 'tsx'] : [];
const DEPENDENCIES = ['ws', 'cbor-x', 'serialport', 'fast-xml-parser'];
const MB = 1024 * 1024;

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ). */
function clockTicks(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout.trim());
  return Number.isInteger(n) && n > 0 ? n : 100;
}

/** Resident set size in bytes: all (`VmRSS`) and the private part (`RssAnon`) of /proc/<pid>/status. */
function rssBytes(pid: number): { all: number; anon: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (key: string): number => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(status);
    if (!m?.[1]) throw new Error(`no ${key} for pid ${pid}`);
    return Number(m[1]) * 1024;
  };
  return { all: kb('VmRSS'), anon: kb('RssAnon') };
}

/** User + system CPU time in ticks (fields 14 and 15 of /proc/<pid>/stat, after the `(comm)`). */
function cpuTicks(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => {
      resolve();
    });
  });
}

/** The bare process: imports the dependencies, says so on stdout, then idles. */
function spawnBaseline(): { child: ChildProcess; imported: Promise<number> } {
  const script = `${DEPENDENCIES.map((d) => `await import(${JSON.stringify(d)});`).join(' ')}
process.stdout.write('imported\\n'); setInterval(() => {}, 1 << 30);`;
  const t0 = performance.now();
  const child = spawn(process.execPath, [...LOADER, '--input-type=module', '-e', script], {
    cwd: PACKAGE_DIR,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const imported = new Promise<number>((resolve, reject) => {
    child.stdout?.setEncoding('utf8').on('data', (s: string) => {
      if (s.includes('imported')) resolve(performance.now() - t0);
    });
    child.once('exit', (code) => {
      reject(new Error(`baseline exited with ${code}`));
    });
  });
  return { child, imported };
}

interface Window {
  rss: number[];
  anon: number[];
  cpuTicks: number;
}

/** Samples RSS every 250 ms over `ms` and the CPU ticks used during it, for each pid at once. */
async function measure(pids: readonly number[], ms: number): Promise<Window[]> {
  const start = pids.map(cpuTicks);
  const samples = pids.map(() => ({ rss: [] as number[], anon: [] as number[] }));
  const end = performance.now() + ms;
  while (performance.now() < end) {
    pids.forEach((pid, i) => {
      const r = rssBytes(pid);
      samples[i]?.rss.push(r.all);
      samples[i]?.anon.push(r.anon);
    });
    await sleep(250);
  }
  return pids.map((pid, i) => ({
    rss: samples[i]?.rss ?? [],
    anon: samples[i]?.anon ?? [],
    cpuTicks: cpuTicks(pid) - (start[i] ?? 0),
  }));
}

async function footprint(o: BenchOptions): Promise<Figure[]> {
  const settleMs = o.full ? 10_000 : 2000;
  const windowMs = o.full ? 30_000 : 6000;
  const dir = mkdtempSync(join(tmpdir(), 'm2m-bench-'));
  const registrar = await startRegistrar({ port: 0 });
  const children: ChildProcess[] = [];
  try {
    const config = join(dir, 'config.json');
    writeFileSync(
      config,
      JSON.stringify({
        registrar: { url: registrar.url, cseId: registrar.cse.cseId, cseName: registrar.cse.cseName },
        node: { name: 'bench-gw', appId: 'Nm2m-agent-bench', originator: 'Cbench-gw' },
        stateDir: join(dir, 'state'),
        logLevel: 'warn',
        devices: ['counter', 'sine', 'random', 'step'].map((waveform) => ({
          name: `sim-${waveform}`,
          model: 'sim',
          params: { waveform },
        })),
      }),
    );
    let registeredAt: number | undefined;
    const containers = new Set<string>();
    let allReadyAt: number | undefined;
    registrar.cse.events.on('resource', (e: ResourceEvent) => {
      if (e.kind !== 'created') return;
      if (e.ty === ResourceType.AE) registeredAt ??= performance.now();
      if (e.ty === ResourceType.Container) containers.add(e.path);
      if (containers.size >= 4) allReadyAt ??= performance.now();
    });

    const t0 = performance.now();
    const agent = spawn(process.execPath, [...LOADER, CLI, 'run', '-c', config], {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    children.push(agent);
    while (allReadyAt === undefined) {
      if (agent.exitCode !== null) throw new Error(`the agent exited with ${agent.exitCode}`);
      if (performance.now() - t0 > 60_000) throw new Error('the agent did not register within 60 s');
      await sleep(5);
    }
    const toRegistered = (registeredAt ?? allReadyAt) - t0;
    const toContainers = allReadyAt - t0;
    o.note(`registered ${toRegistered.toFixed(0)} ms after spawn; settling ${settleMs} ms`);

    const baseline = spawnBaseline();
    children.push(baseline.child);
    const importMs = await baseline.imported;
    await sleep(settleMs);
    if (agent.pid === undefined || baseline.child.pid === undefined) throw new Error('no pid');
    o.note(`measuring both for ${windowMs} ms`);
    const [a, b] = await measure([agent.pid, baseline.child.pid], windowMs);
    if (!a || !b) throw new Error('no measurement');
    const hz = clockTicks();
    const cpuPct = (w: Window): number => (100 * w.cpuTicks) / hz / (windowMs / 1000);
    const rssA = median(a.rss) / MB;
    const rssB = median(b.rss) / MB;
    const anonA = median(a.anon) / MB;
    const anonB = median(b.anon) / MB;
    const cpuA = cpuPct(a);
    const cpuB = cpuPct(b);
    const loader = LOADER.length > 0 ? '.tsx' : '';
    return [
      { name: `footprint.rss.idle${loader}`, value: rssA, unit: 'MB', baseline: rssB, ratio: rssA / rssB },
      {
        name: `footprint.rss_anon.idle${loader}`,
        value: anonA,
        unit: 'MB',
        baseline: anonB,
        ratio: anonA / anonB,
      },
      {
        name: `footprint.cpu.idle${loader}`,
        value: cpuA,
        unit: '% of a core',
        baseline: cpuB,
        ...(cpuB > 0 ? { ratio: cpuA / cpuB } : {}),
      },
      {
        name: `footprint.start_to_registered${loader}`,
        value: toRegistered,
        unit: 'ms',
        baseline: importMs,
        ratio: toRegistered / importMs,
      },
      { name: `footprint.start_to_containers${loader}`, value: toContainers, unit: 'ms' },
    ];
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map(exited));
    await registrar.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export const footprintBench: Bench = { name: 'footprint', run: footprint };
