/**
 * CI cannot start the unit (PID 1 is not systemd), so this runs Node, the agent's dependencies and
 * the readiness/watchdog path under the unit's essential restrictions by hand (see sandbox.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { notifyListenerSkipReason, startNotifyListener } from './notify-listener.js';
import {
  SANDBOX_USER,
  sandboxDirs,
  sandboxSkipReason,
  spawnSandboxed,
  unreadableForSandbox,
} from './sandbox.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/dist\/$/, '/');
/** `.ts` under tsx, `.js` when the compiled tests run. */
const suffix = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const DEPENDENCIES = ['ws', 'cbor-x', 'serialport', 'node-cron', 'fast-xml-parser'];

function childScript(): string {
  const sd = new URL('../../src/util/sd-notify.js', import.meta.url).href;
  const wd = new URL('../../src/util/watchdog.js', import.meta.url).href;
  const deps = DEPENDENCIES.map((d) => import.meta.resolve(d));
  return `
import { readFileSync, writeFileSync } from 'node:fs';
import { createSdNotifier } from ${JSON.stringify(sd)};
import { startWatchdog, writableDirCheck } from ${JSON.stringify(wd)};
const state = process.env.STATE_DIRECTORY;
const attempt = (fn) => { try { fn(); return 'ok'; } catch (e) { return e.code; } };
const status = readFileSync('/proc/self/status', 'utf8');
const r = {
  uid: process.getuid(),
  groups: process.getgroups(),
  noNewPrivs: /NoNewPrivs:\\s+(\\d)/.exec(status)[1],
  capBnd: /CapBnd:\\s+(\\S+)/.exec(status)[1],
  outsideWrite: attempt(() => writeFileSync(process.argv[2], 'x')),
  cpuinfo: attempt(() => readFileSync('/proc/cpuinfo')),
  stateWritable: await writableDirCheck(state)(),
};
for (const d of ${JSON.stringify(deps)}) await import(d);
r.dependencies = 'loaded';
writeFileSync(state + '/marker', 'written by the sandboxed agent');
const notifier = createSdNotifier();
await notifier.ready('sandbox ok');
const wd = startWatchdog({ intervalMs: 20, notifier, healthCheck: writableDirCheck(state) });
while (wd.state().pings < 2) await new Promise((res) => setTimeout(res, 10));
wd.stop();
await notifier.stopping();
console.log(JSON.stringify(r));
`;
}

test('node, the dependencies and sd-notify work under the unit restrictions', async (t) => {
  const skip = sandboxSkipReason() ?? notifyListenerSkipReason();
  if (skip) {
    t.skip(skip);
    return;
  }
  const blocked = unreadableForSandbox([
    fileURLToPath(new URL('../../src/util/sd-notify.js', import.meta.url).href.replace(/\.js$/, suffix)),
    fileURLToPath(import.meta.resolve('ws')),
    process.execPath,
  ]);
  if (blocked) {
    t.skip(`${blocked} is not readable by the unprivileged sandbox user (checkout in a private directory?)`);
    return;
  }
  const base = mkdtempSync(join(tmpdir(), 'm2m-'));
  chmodSync(base, 0o755); // the sandbox user must reach the state dir, the socket and the script
  const listener = await startNotifyListener(join(base, 'notify.sock'));
  t.after(() => {
    listener.close();
    rmSync(base, { recursive: true, force: true });
  });
  const script = join(base, 'child.mjs');
  writeFileSync(script, childScript());
  chmodSync(script, 0o644);
  const { stateDir, tmpDir } = sandboxDirs(base);
  const loader = suffix === '.ts' ? ['--import', 'tsx'] : [];
  const child = spawnSandboxed(process.execPath, [...loader, script, join(base, 'outside')], {
    stateDir,
    tmpDir,
    cwd: REPO,
    env: { ...process.env, NOTIFY_SOCKET: join(base, 'notify.sock') },
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  assert.equal(code, 0, `sandboxed child failed:\n${stderr}`);
  const r = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  assert.deepEqual(r, {
    uid: SANDBOX_USER.uid,
    groups: [SANDBOX_USER.gid],
    noNewPrivs: '1',
    capBnd: '0000000000000000',
    outsideWrite: 'EROFS', // ProtectSystem=strict
    cpuinfo: 'ENOENT', // ProcSubset=pid
    stateWritable: true, // StateDirectory=
    dependencies: 'loaded',
  });
  assert.equal(statSync(join(stateDir, 'marker')).uid, SANDBOX_USER.uid);

  // The child counts a ping when it starts sending it, so its second ping may reach the socket
  // after STOPPING=1: wait for both, whatever their order (bounded, so a lost one fails).
  const messages: string[] = [];
  const watchdogs = (): number => messages.filter((m) => m === 'WATCHDOG=1').length;
  const deadline = Date.now() + 20_000;
  while (!messages.includes('STOPPING=1') || watchdogs() < 2) {
    const m = await Promise.race([
      listener.next(),
      new Promise<never>((_, reject) =>
        setTimeout(
          () => {
            reject(new Error(`sd_notify messages so far: ${messages.join(' | ')}`));
          },
          Math.max(0, deadline - Date.now()),
        ).unref(),
      ),
    ]);
    if (m !== 'BARRIER=1') messages.push(m);
  }
  assert.equal(messages.shift(), 'READY=1\nSTATUS=sandbox ok');
  assert.deepEqual(
    messages.filter((m) => m !== 'WATCHDOG=1'),
    ['STOPPING=1'],
    messages.join(' | '),
  );
  assert.ok(watchdogs() >= 2, messages.join(' | '));
});
