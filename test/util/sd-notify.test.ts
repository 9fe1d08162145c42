import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSdNotifier, watchdogIntervalFromEnv, type ExecFn } from '../../src/util/sd-notify.js';
import { memoryLogger } from '../../src/util/log.js';
import { notifyListenerSkipReason, startNotifyListener } from '../systemd/notify-listener.js';

function recordingExec(): {
  exec: ExecFn;
  calls: { file: string; args: readonly string[]; env?: NodeJS.ProcessEnv }[];
} {
  const calls: { file: string; args: readonly string[]; env?: NodeJS.ProcessEnv }[] = [];
  return {
    calls,
    exec: (file, args, options) => {
      calls.push({ file, args, env: options.env });
      return Promise.resolve();
    },
  };
}

test('without NOTIFY_SOCKET every call is a no-op', async () => {
  const rec = recordingExec();
  const n = createSdNotifier({ env: { WATCHDOG_USEC: '60000000' }, exec: rec.exec });
  assert.equal(n.enabled, false);
  assert.equal(n.watchdogIntervalMs, undefined);
  await n.ready('x');
  await n.status('x');
  await n.watchdogPing();
  await n.reloading();
  await n.stopping();
  assert.deepEqual(rec.calls, []);
});

test('sends sd_notify assignments through systemd-notify', async () => {
  const rec = recordingExec();
  const n = createSdNotifier({ env: { NOTIFY_SOCKET: '/run/x' }, exec: rec.exec });
  assert.equal(n.enabled, true);
  await n.ready('config ok\nINJECTED=1');
  await n.status('draining 3');
  await n.watchdogPing();
  await n.reloading('reloading config');
  await n.stopping();
  assert.deepEqual(
    rec.calls.map((c) => c.args),
    [
      ['READY=1', 'STATUS=config ok INJECTED=1'],
      ['STATUS=draining 3'],
      ['WATCHDOG=1'],
      ['RELOADING=1', 'STATUS=reloading config'],
      ['STOPPING=1'],
    ],
  );
  assert.ok(rec.calls.every((c) => c.file === 'systemd-notify'));
});

test('watchdog interval is half of WATCHDOG_USEC, only when the watchdog is ours', () => {
  assert.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: '60000000' }, 10), 30_000);
  assert.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '10' }, 10), 30_000);
  assert.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '11' }, 10), undefined);
  assert.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: 'abc' }, 10), undefined);
  assert.equal(watchdogIntervalFromEnv({ WATCHDOG_USEC: '0' }, 10), undefined);
  assert.equal(watchdogIntervalFromEnv({}, 10), undefined);

  const log = memoryLogger();
  const n = createSdNotifier({
    env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '20000000', WATCHDOG_PID: '1' },
    pid: 2,
    exec: recordingExec().exec,
    logger: log,
  });
  assert.equal(n.watchdogIntervalMs, undefined);
  assert.ok(log.lines.some((l) => l.level === 'warn' && l.msg.includes('not ours')));
  const mine = createSdNotifier({
    env: { NOTIFY_SOCKET: '/run/x', WATCHDOG_USEC: '20000000' },
    exec: recordingExec().exec,
  });
  assert.equal(mine.watchdogIntervalMs, 10_000);
});

test('a failing systemd-notify is logged, not thrown', async () => {
  const log = memoryLogger();
  const n = createSdNotifier({
    env: { NOTIFY_SOCKET: '/run/x' },
    exec: () => Promise.reject(new Error('spawn systemd-notify ENOENT')),
    logger: log,
  });
  await n.ready();
  const line = log.lines.find((l) => l.level === 'error');
  assert.ok(line);
  assert.equal(line.fields['what'], 'ready');
  assert.match(String(line.fields['error']), /ENOENT/);
});

test('a watchdog ping is skipped while the previous one still runs', async () => {
  let release: () => void = () => undefined;
  let calls = 0;
  const n = createSdNotifier({
    env: { NOTIFY_SOCKET: '/run/x' },
    exec: () => {
      calls++;
      return new Promise<void>((resolve) => {
        release = resolve;
      });
    },
  });
  const first = n.watchdogPing();
  await n.watchdogPing(); // returns at once: skipped
  assert.equal(calls, 1);
  release();
  await first;
  const third = n.watchdogPing();
  assert.equal(calls, 2);
  release();
  await third;
});

test('real systemd-notify delivers READY, STATUS and WATCHDOG to NOTIFY_SOCKET', async (t) => {
  const reason = notifyListenerSkipReason();
  if (reason) {
    t.skip(reason);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'm2m-'));
  const sock = join(dir, 'notify.sock');
  const listener = await startNotifyListener(sock);
  t.after(() => {
    listener.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const log = memoryLogger();
  const n = createSdNotifier({
    env: { ...process.env, NOTIFY_SOCKET: sock, WATCHDOG_USEC: '4000000' },
    logger: log,
  });
  assert.equal(n.watchdogIntervalMs, 2000);

  // Not PID 1 here: systemd-notify still sends; it only needs the socket (checked by hand, systemd 252).
  await n.ready('config valid, outbox open');
  assert.equal(await listener.next(), 'READY=1\nSTATUS=config valid, outbox open');
  assert.equal(await listener.next(), 'BARRIER=1');
  await n.watchdogPing();
  assert.equal(await listener.next(), 'WATCHDOG=1');
  assert.equal(await listener.next(), 'BARRIER=1');
  await n.stopping('flushing outbox');
  assert.equal(await listener.next(), 'STOPPING=1\nSTATUS=flushing outbox');
  assert.deepEqual(
    log.lines.filter((l) => l.level === 'error'),
    [],
  );
});

test('real systemd-notify failing (no listener) is logged', async (t) => {
  const reason = notifyListenerSkipReason();
  if (reason) {
    t.skip(reason);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'm2m-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const log = memoryLogger();
  const n = createSdNotifier({
    env: { ...process.env, NOTIFY_SOCKET: join(dir, 'absent.sock') },
    logger: log,
  });
  await n.watchdogPing();
  assert.ok(log.lines.some((l) => l.level === 'error' && l.fields['what'] === 'watchdog'));
});

test('STATUS= never carries credentials (systemctl status shows it to every user), nor does the child environment', async () => {
  const rec = recordingExec();
  const n = createSdNotifier({
    env: { NOTIFY_SOCKET: '/run/x', M2M_AGENT_REGISTRAR_CREDENTIALS: 'agent:hunter22' },
    exec: rec.exec,
  });
  await n.ready('running; registrar wss://agent:hunter22@registrar.example/');
  await n.status('reconnecting to wss://agent:hunter22@registrar.example/');
  await n.reloading('reloading; registrar wss://agent:hunter22@registrar.example/');
  const args = rec.calls.flatMap((c) => c.args).join(' ');
  assert.deepEqual(rec.calls[0]?.env, { NOTIFY_SOCKET: '/run/x' }, 'not the credentials');
  assert.ok(!args.includes('hunter22'), args);
  assert.match(args, /STATUS=running; registrar wss:\/\/agent:\*\*\*@registrar\.example\//);
});
