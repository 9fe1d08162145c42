/**
 * The full-disk field scenario of issue 12 (run as root: it mounts a tmpfs):
 * `node --import tsx scripts/full-disk-scenario.ts [--seconds N] [--size 1m] [--registered]`.
 * The state directory is a small tmpfs; 20 `bestEffort` sim counters and one `immediate` one
 * sample every second while the registrar is down (`--registered`: it was up first, so the agent
 * registered). After N seconds the registrar comes up on the same port and the script reports
 * what was kept, refused, leaked, logged and delivered (and whether each stream stayed in order).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeviceModels } from '../src/config/models.js';
import { bundledDevicesDir } from '../src/config/schemas.js';
import { validateConfig } from '../src/config/validate.js';
import { startRegistrar, type Registrar } from '../src/cse/server.js';
import { ResourceType } from '../src/protocol/codes.js';
import type { ResourceEvent } from '../src/cse/events.js';
import { startAgent } from '../src/main.js';
import { memoryLogger } from '../src/util/log.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string): string => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? (args[i + 1] ?? dflt) : dflt;
};
const seconds = Number(opt('seconds', '300'));
const deliverSeconds = Number(opt('deliver-seconds', '240'));
const size = opt('size', '1m');
const registeredBefore = args.includes('--registered');

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('run as root: the scenario mounts a tmpfs');
  const mnt = mkdtempSync(join(tmpdir(), 'm2m-fulldisk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt]);
  const registrars: Registrar[] = [];
  try {
    const port = await (async () => {
      const r = await startRegistrar({ port: 0 });
      const p = r.port;
      await r.close();
      return p;
    })();
    const devices = Array.from({ length: 20 }, (_, i) => ({
      name: `be${i}`,
      model: 'sim',
      params: { waveform: 'counter' },
      sample: '* * * * * *',
      eventCategory: 'bestEffort',
    }));
    devices.push({
      name: 'alarm',
      model: 'sim',
      params: { waveform: 'counter' },
      sample: '* * * * * *',
      eventCategory: 'immediate',
    });
    const raw = {
      registrar: { url: `ws://127.0.0.1:${port}/`, cseId: '/id-in', cseName: 'cse-in' },
      node: { name: 'disk-gw', appId: 'Nm2m-agent-test', originator: 'Cdisk-gw' },
      serializations: ['json'],
      stateDir: mnt,
      link: { backoffFloorMs: 200, backoffCapMs: 2000, requestTimeoutSeconds: 5 },
      devices,
    };
    const { models } = loadDeviceModels([bundledDevicesDir()]);
    const { config, issues } = validateConfig(raw, models);
    if (!config) throw new Error(JSON.stringify(issues));
    const delivered = new Map<string, number[]>();
    let cse: Registrar['cse'] | undefined;
    const up = async (): Promise<Registrar> => {
      const again = cse !== undefined;
      const r = await startRegistrar({ port, ...(cse ? { cse } : {}) });
      cse = r.cse;
      registrars.push(r);
      // The CSE (and its listeners) lives on across a restart of the server: listen once.
      if (again) return r;
      r.cse.events.on('resource', (e: ResourceEvent) => {
        if (e.kind !== 'created' || e.ty !== ResourceType.ContentInstance) return;
        const pack = JSON.parse(String(e.resource.con)) as { bn: string; v: number }[];
        const d = pack[0]?.bn.split(':')[0] ?? '?';
        const list = delivered.get(d) ?? [];
        list.push(pack[0]?.v ?? NaN);
        delivered.set(d, list);
      });
      return r;
    };
    const logger = memoryLogger();
    const lines = (): typeof logger.lines => logger.lines.filter((l) => l.level !== 'debug');
    const agent = await startAgent(config, { logger });
    if (registeredBefore) {
      const r = await up();
      while (agent.registration.current() === undefined || agent.outbox.stats().depth > 0)
        await new Promise((res) => setTimeout(res, 100));
      await r.close();
      registrars.length = 0;
      delivered.clear();
      process.stderr.write('registered; registrar stopped\n');
    }
    const refused: Record<string, number> = {};
    const t0 = Date.now();
    const linesAt0 = lines().length;
    const report = (): Record<string, unknown> => {
      const s = agent.outbox.stats();
      let status: { updatedAt?: string; outbox?: { depth?: number; evicted?: number } } = {};
      try {
        status = JSON.parse(readFileSync(join(mnt, 'status.json'), 'utf8')) as typeof status;
      } catch {
        // not written yet
      }
      const drivers = (() => {
        try {
          return readdirSync(join(mnt, 'drivers'));
        } catch {
          return [];
        }
      })();
      const fs = statfsSync(mnt);
      for (const k of Object.keys(refused)) refused[k] = 0;
      for (const l of logger.lines) {
        if (l.msg !== 'reading could not be buffered') continue;
        const d = String(l.fields.device);
        const k = d.startsWith('be') ? 'bestEffort' : 'immediate';
        refused[k] = (refused[k] ?? 0) + 1;
      }
      return {
        t: Math.round((Date.now() - t0) / 1000),
        depth: s.depth,
        byEc: s.byEc,
        evicted: s.evicted,
        evictedForSpace: s.evictedForSpace,
        refusedFull: s.refusedFull,
        refusedByEc: { ...refused },
        statusAgeS: status.updatedAt ? Math.round((Date.now() - Date.parse(status.updatedAt)) / 1000) : null,
        statusDepth: status.outbox?.depth ?? null,
        driverTempFiles: drivers.filter((n) => n.includes('.tmp')).length,
        freeBytes: fs.bavail * fs.bsize,
        logLines: lines().length - linesAt0,
        link: agent.link.stats().state,
      };
    };
    while (Date.now() - t0 < seconds * 1000) {
      await new Promise((res) => setTimeout(res, 10_000));
      process.stderr.write(`${JSON.stringify(report())}\n`);
    }
    const kept = agent.outbox.stats();
    const keptByEc = kept.byEc;
    const before = report();
    const msgs = new Map<string, number>();
    for (const l of lines().slice(linesAt0)) msgs.set(l.msg, (msgs.get(l.msg) ?? 0) + 1);
    process.stderr.write(`log lines by message: ${JSON.stringify([...msgs].sort((a, b) => b[1] - a[1]))}\n`);
    // The registrar comes (back) up.
    const tUp = Date.now();
    await up();
    let firstDeliveryS: number | null = null;
    while (Date.now() - tUp < deliverSeconds * 1000) {
      await new Promise((res) => setTimeout(res, 500));
      const n = [...delivered.values()].reduce((a, l) => a + l.length, 0);
      if (n > 0 && firstDeliveryS === null) firstDeliveryS = (Date.now() - tUp) / 1000;
      if (agent.outbox.stats().depth === 0 && n > 0) break;
    }
    let outOfOrder = 0;
    let total = 0;
    for (const [, vs] of delivered) {
      total += vs.length;
      for (let i = 1; i < vs.length; i++) if ((vs[i] ?? 0) < (vs[i - 1] ?? 0)) outOfOrder++;
    }
    const after = report();
    await agent.stop();
    const identitySaved = readdirSync(mnt).includes('identity.json');
    process.stdout.write(
      `${JSON.stringify(
        {
          scenario: { seconds, size, registeredBefore },
          atEndOfOutage: before,
          keptByEc,
          afterRegistrarUp: {
            firstDeliveryS,
            delivered: total,
            outOfOrder,
            depthLeft: after.depth,
            identitySaved,
            registered: agent.registration.current() !== undefined,
          },
        },
        null,
        2,
      )}\n`,
    );
  } finally {
    for (const r of registrars) await r.close();
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `scenario failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exitCode = 1;
});
