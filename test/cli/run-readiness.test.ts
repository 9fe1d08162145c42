/**
 * `m2m-agent run` as systemd starts it (Type=notify): READY=1 once the configuration is valid and
 * the outbox is open, whether or not the registrar answers; a bad configuration exits 1 before
 * anything is created.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startRegistrar } from '../../src/cse/server.js';
import { rawConfig } from '../helpers/agent-harness.js';
import { spawnRun, writeConfig, type RunChild } from '../helpers/cli-child.js';
import {
  notifyListenerSkipReason,
  startNotifyListener,
  type NotifyListener,
} from '../systemd/notify-listener.js';

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
  return port;
}

/** The next datagram that is not systemd-notify's BARRIER=1, or a failure after `timeoutMs`. */
async function nextMessage(listener: NotifyListener, timeoutMs = 20_000): Promise<string> {
  for (;;) {
    let timer: NodeJS.Timeout | undefined;
    const m = await Promise.race([
      listener.next(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          reject(new Error(`no notification within ${timeoutMs} ms`));
        }, timeoutMs);
      }),
    ]).finally(() => {
      clearTimeout(timer);
    });
    if (m !== 'BARRIER=1') return m;
  }
}

async function stopAndExpectZero(run: RunChild): Promise<void> {
  run.child.kill('SIGTERM');
  const exit = await run.waitExit(10_000);
  assert.deepEqual(exit, { code: 0, signal: null }, run.stderr());
}

for (const reachable of [true, false]) {
  test(`READY=1 once the outbox is open (registrar ${reachable ? 'up' : 'unreachable'})`, async (t) => {
    const skip = notifyListenerSkipReason();
    if (skip) {
      t.skip(skip);
      return;
    }
    const base = mkdtempSync(join(tmpdir(), 'm2m-'));
    const registrar = await startRegistrar({ port: 0 });
    const socket = join(base, 'notify.sock');
    const listener = await startNotifyListener(socket);
    const runs: RunChild[] = [];
    t.after(async () => {
      for (const r of runs) await r.kill();
      listener.close();
      await registrar.close();
      rmSync(base, { recursive: true, force: true });
    });
    const stateDir = join(base, 'state');
    const raw = rawConfig(registrar, stateDir);
    const url = reachable ? registrar.url : `ws://127.0.0.1:${await closedPort()}/`;
    writeConfig(join(base, 'config.json'), {
      ...raw,
      registrar: { ...(raw['registrar'] as object), url },
    });
    const run = spawnRun(join(base, 'config.json'), { env: { NOTIFY_SOCKET: socket } });
    runs.push(run);

    const ready = await nextMessage(listener);
    assert.match(ready, /^READY=1\nSTATUS=running; registrar ws:\/\/127\.0\.0\.1:\d+\/$/);
    assert.ok(existsSync(join(stateDir, 'outbox')), 'the outbox is open before READY');
    assert.ok(
      run.logs.some((l) => l.msg === 'outbox opened'),
      'outbox opened is logged before READY',
    );
    if (reachable) {
      await run.waitForLog((l) => l.msg === 'registered', 'registration');
    } else {
      // Not waiting for the registrar: the link keeps retrying while the service is up.
      const failed = await run.waitForLog((l) => l.msg === 'link backingOff', 'a failed connect');
      assert.match(String(failed['error']), /ECONNREFUSED|refused/i);
      assert.ok(!run.logs.some((l) => l.msg === 'link up'), 'no link to a closed port');
    }
    await stopAndExpectZero(run);
    assert.equal(await nextMessage(listener), 'STOPPING=1');
    assert.equal(listener.queued.filter((m) => m.startsWith('READY=1')).length, 0, 'READY=1 is sent once');
  });
}

test('a bad configuration exits 1 before touching anything', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'm2m-'));
  const registrar = await startRegistrar({ port: 0 });
  t.after(async () => {
    await registrar.close();
    rmSync(base, { recursive: true, force: true });
  });
  const stateDir = join(base, 'state');
  const metrics = join(base, 'metrics', 'agent.prom');
  writeConfig(join(base, 'config.json'), {
    ...rawConfig(registrar, stateDir),
    metrics: { textfile: metrics },
    devices: [
      { name: 'counter', model: 'sim', params: { waveform: 'sawtooth' }, sample: '* * * * * *' },
      { name: 'ghost', model: 'no-such-model' },
    ],
  });
  const run = spawnRun(join(base, 'config.json'), { env: { NOTIFY_SOCKET: join(base, 'notify.sock') } });
  t.after(() => run.kill());
  const exit = await run.waitExit(15_000);
  assert.deepEqual(exit, { code: 1, signal: null });
  // Every problem at once, each with its key path.
  assert.match(run.stderr(), /devices\[0\]\.params\.waveform/);
  assert.match(run.stderr(), /devices\[1\]\.model/);
  assert.equal(existsSync(stateDir), false, 'no state directory created');
  assert.equal(existsSync(join(base, 'metrics')), false, 'no metrics written');
  assert.equal(registrar.connections().length, 0);
  assert.equal(registrar.cse.resource('cse-in/e2e-gw'), undefined, 'never registered');

  // Unparsable JSON: the same, with the position of the mistake.
  writeFileSync(join(base, 'config.json'), '{ "stateDir": "state", }\n');
  const broken = spawnRun(join(base, 'config.json'));
  t.after(() => broken.kill());
  assert.deepEqual(await broken.waitExit(15_000), { code: 1, signal: null });
  assert.match(broken.stderr(), /not valid JSON \(line 1, column \d+\)/);
  assert.equal(existsSync(stateDir), false);
});
