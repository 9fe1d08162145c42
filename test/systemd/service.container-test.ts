/**
 * `npm run test:systemd`: the installed service under a real systemd 252 (PID 1 of a
 * systemd-nspawn container, see container.ts), driven with systemctl and checked with journalctl.
 * Not part of `npm test` (it needs root and takes about two minutes); `.ci/run` runs both.
 *
 * The agent inside talks to a development registrar on the host's 127.0.0.1. A drop-in makes the
 * watchdog short (WatchdogSec=2), restarts quick and enables the loop-blocking test hook.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { rawConfig } from '../helpers/agent-harness.js';
import { FlakyRegistrar, recordValues, type ValueLog } from '../helpers/cli-child.js';
import type { DisconnectionEvent } from '../../src/cse/registrar-events.js';
import { sequenceOf } from '../agent/fixtures/fault-kit.js';
import { bootContainer, containerSkipReason, type Container } from './container.js';
import { notificationCounts, type NotificationCounts } from './journal.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const UNIT = 'm2m-agent.service';
const WATCHDOG_SEC = 2;
/** Healthy pings to wait for: 60 at one a second spans 30 WatchdogSec periods. */
const HEALTHY_PINGS = Number(process.env['M2M_SYSTEMD_TEST_PINGS'] ?? 60);

const DROP_IN = `[Service]
WatchdogSec=${WATCHDOG_SEC}
RestartSec=1
# The watchdog kills with SIGABRT: no core file from a test.
LimitCORE=0
Environment=M2M_AGENT_TEST_BLOCK_LOOP=1
`;

const skip = containerSkipReason();

async function until<T>(
  probe: () => T | undefined | Promise<T | undefined>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits for the middle of a wall-clock second: the counters sample on every second, and a kill
 * inside a sample may lose the reading the driver has counted but not yet handed over. */
async function midSecond(): Promise<void> {
  const ms = Date.now() % 1000;
  await new Promise((r) => setTimeout(r, ms < 400 ? 400 - ms : 1400 - ms));
}

describe('the service under a real systemd (systemd-nspawn)', { skip: skip ?? false }, () => {
  let box: Container | undefined;
  let registrar: FlakyRegistrar;
  let counter: ValueLog;
  let extra: ValueLog;
  const closes: DisconnectionEvent[] = [];
  let failed = false;

  const sh = (script: string, input?: string): Promise<string> => {
    if (!box) throw new Error('no container');
    return box.sh(script, input);
  };
  const show = async (): Promise<Record<string, string>> => {
    const props =
      'ActiveState,SubState,StatusText,MainPID,NRestarts,ExecMainStatus,ExecMainCode,Result,LoadState';
    const out = await sh(`systemctl show -p ${props} ${UNIT}`);
    return Object.fromEntries(
      out
        .trim()
        .split('\n')
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
  };
  const cursor = async (): Promise<string> => {
    const out = await sh(`journalctl -u ${UNIT} -n 0 --show-cursor --no-pager`);
    const m = /-- cursor: (.+)/.exec(out);
    if (!m?.[1]) throw new Error(`no journal cursor in: ${out}`);
    return m[1];
  };
  /** The unit's journal (the agent's lines and PID 1's lines about it), optionally after a cursor. */
  const journal = (after?: string): Promise<string> =>
    sh(`journalctl -u ${UNIT} -o cat --no-pager ${after ? `--after-cursor='${after}'` : ''}`);
  const running = async (): Promise<Record<string, string> | undefined> => {
    const s = await show();
    return s['ActiveState'] === 'active' && s['SubState'] === 'running' ? s : undefined;
  };
  const agentConfig = (devices: string[]): string =>
    JSON.stringify({
      ...rawConfig(registrar.registrar, '/var/lib/m2m-agent', {
        devices: devices.map((name) => ({
          name,
          model: 'sim',
          params: { waveform: 'counter' },
          sample: '* * * * * *',
        })),
      }),
      logLevel: 'debug', // the "sd_notify sent" lines are counted against PID 1's
    });

  before(async () => {
    registrar = await FlakyRegistrar.start();
    registrar.registrar.on('disconnection', (e) => closes.push(e));
    counter = recordValues(registrar.cse, 'counter');
    extra = recordValues(registrar.cse, 'extra');
    box = await bootContainer(REPO);
    // PID 1 at debug level logs every notification it acts on ("Got notification message").
    await sh('systemd-analyze log-level debug');
    await sh('npm_config_prefer_offline=true bash /m2m-src/scripts/install.sh');
    await sh('cat > /etc/m2m-agent/config.json', agentConfig(['counter']));
    await sh(
      `mkdir -p /etc/systemd/system/${UNIT}.d && cat > /etc/systemd/system/${UNIT}.d/test.conf`,
      DROP_IN,
    );
    await sh('systemctl daemon-reload');
  });

  after(async () => {
    if (failed && box) {
      const tail = await box.exec([
        'journalctl',
        '-u',
        UNIT,
        '-o',
        'short-monotonic',
        '-n',
        '80',
        '--no-pager',
      ]);
      console.error(`--- journal of ${UNIT} (last 80 lines) ---\n${tail.stdout}`);
    }
    await box?.stop();
    counter.stop();
    extra.stop();
    await registrar.close();
  });

  const step = (name: string, fn: () => Promise<void>): void => {
    it(name, async () => {
      try {
        await fn();
      } catch (err) {
        failed = true;
        throw err;
      }
    });
  };

  let mainPid = '';

  step('install.sh installs and enables it; it starts: active (running), READY, a status text', async () => {
    assert.match(await sh(`systemctl is-enabled ${UNIT}`), /enabled/);
    await sh(`systemctl start ${UNIT}`); // Type=notify: returns once READY=1 arrived
    const s = await until(running, 'active (running)');
    assert.equal(s['StatusText'], `running; registrar ${registrar.url}`);
    mainPid = s['MainPID'] ?? '';
    assert.match(await journal(), /Got notification message from PID \d+ \(READY=1/);
    assert.match(await sh(`systemctl status ${UNIT} --no-pager || true`), /Active: active \(running\)/);
    // ProcSubset=pid hides /proc/sys/kernel/random/boot_id from the service; the unit hands it %b.
    const bootId = (await sh('cat /proc/sys/kernel/random/boot_id')).trim().replaceAll('-', '');
    assert.match(
      await sh(`cat /proc/${mainPid}/environ | tr '\\0' '\\n'`),
      new RegExp(`^M2M_AGENT_BOOT_ID=${bootId}$`, 'm'),
    );
  });

  step('readings arrive at the registrar on the host', async () => {
    await until(() => (counter.distinct().length >= 3 ? true : undefined), 'three readings');
  });

  step(
    `a healthy agent is never killed by the watchdog (${HEALTHY_PINGS} pings, WatchdogSec=${WATCHDOG_SEC})`,
    async () => {
      const from = await cursor();
      await until(
        async () =>
          notificationCounts(await journal(from)).acted.watchdog >= HEALTHY_PINGS ? true : undefined,
        `${HEALTHY_PINGS} watchdog pings acted on`,
        HEALTHY_PINGS * 1000 * 3,
      );
      const s = await show();
      assert.equal(s['MainPID'], mainPid, 'same process');
      assert.equal(s['NRestarts'], '0');
      assert.doesNotMatch(await journal(from), /[Ww]atchdog timeout/);
    },
  );

  step('systemctl reload applies a new configuration without a restart', async () => {
    await sh('cat > /etc/m2m-agent/config.json', agentConfig(['counter', 'extra']));
    await sh(`systemctl reload ${UNIT}`);
    const s = await until(async () => {
      const r = await running();
      return r?.['StatusText'] === 'reloaded' ? r : undefined;
    }, 'status "reloaded"');
    assert.equal(s['MainPID'], mainPid, 'same process');
    await until(() => (extra.distinct().length >= 2 ? true : undefined), 'readings of the added device');
  });

  step('kill -9: systemd restarts it and the outbox is replayed without a gap', async () => {
    await registrar.down();
    // Readings pile up in the outbox while nobody listens.
    await until(async () => {
      const status = await box!.exec(['cat', '/var/lib/m2m-agent/status.json']);
      try {
        return (JSON.parse(status.stdout) as { outbox: { depth: number } }).outbox.depth >= 3
          ? true
          : undefined;
      } catch {
        return undefined; // not written yet
      }
    }, 'three readings waiting in the outbox');
    await midSecond();
    await sh(`systemctl kill --kill-who=main --signal=SIGKILL ${UNIT}`);
    const s = await until(async () => {
      const r = await running();
      return r && r['MainPID'] !== mainPid ? r : undefined;
    }, 'restarted by systemd');
    assert.equal(s['NRestarts'], '1');
    mainPid = s['MainPID'] ?? '';
    // The exact value the restarted driver goes on from (sim-counter.json holds a reservation).
    const runLines = (await sh('cat /var/lib/m2m-agent/drivers/counters.run')).split('\n');
    const saved = runLines
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as { key: string; last: number })
      .find((r) => r.key === 'sim-counter');
    assert.ok(saved, 'a run record of sim-counter');
    const last = saved.last;
    const back = await registrar.up();
    back.on('disconnection', (e) => closes.push(e));
    await until(() => (counter.missing(0, last).length === 0 ? true : undefined), `every reading 0..${last}`);
    const seq = sequenceOf(counter.values);
    assert.deepEqual(seq.gaps, []);
    assert.equal(seq.outOfOrder, 0);
  });

  step('a blocked event loop stops the pings: systemd kills it (watchdog) and restarts it', async () => {
    const from = await cursor();
    await sh(`systemctl kill --kill-who=main --signal=SIGUSR2 ${UNIT}`);
    const s = await until(async () => {
      const r = await running();
      return r && r['MainPID'] !== mainPid ? r : undefined;
    }, 'restarted after the watchdog timeout');
    mainPid = s['MainPID'] ?? '';
    const log = await journal(from);
    assert.match(log, /blocking the event loop \(test hook\)/);
    assert.match(log, /Watchdog timeout/);
    assert.match(log, /Main process exited, code=(dumped|killed), status=6\/ABRT/);
  });

  step('systemctl stop: exit 0, the link closed with 1001', async () => {
    closes.length = 0;
    await sh(`systemctl stop ${UNIT}`);
    const s = await show();
    const seen = JSON.stringify(s);
    assert.equal(s['ActiveState'], 'inactive', seen);
    assert.equal(s['ExecMainCode'], '1', `exited (not killed): ${seen}`);
    assert.equal(s['ExecMainStatus'], '0', seen);
    assert.equal(s['Result'], 'success', seen);
    await until(() => (closes.length > 0 ? true : undefined), 'the registrar to see the close');
    assert.equal(closes[0]?.code, 1001);
  });

  step('a stale agent.pid naming a live foreign process (PID 1) does not block the start', async () => {
    await sh('echo 1 > /var/lib/m2m-agent/agent.pid && chown m2m-agent: /var/lib/m2m-agent/agent.pid');
    const before = counter.distinct().length;
    const from = await cursor();
    // Type=notify: `start` returns once READY=1 arrived, and fails if the agent exits instead.
    await sh(`systemctl start ${UNIT}`);
    await until(running, 'active (running)');
    await until(() => (counter.distinct().length > before ? true : undefined), 'readings again');
    assert.doesNotMatch(await journal(from), /STATE_DIR_LOCKED/);
    // The agent's own record replaced the stale one: PID, then start time and uid.
    const record = (await sh('cat /var/lib/m2m-agent/agent.pid')).split('\n');
    assert.equal(record[0], (await show())['MainPID']);
    assert.match(record[1] ?? '', /"startTicks":"\d+"/);
  });

  step('every sd_notify message the agent sent was acted on by systemd', async () => {
    await sh(`systemctl stop ${UNIT}`);
    const counts: NotificationCounts = notificationCounts(await journal());
    const dropped = (
      await sh('journalctl _PID=1 -o cat --no-pager | grep -c "Cannot find unit for notify message" || true')
    ).trim();
    console.log(
      `sd_notify over the run: sent ${JSON.stringify(counts.sent)}, acted on ${JSON.stringify(counts.acted)}, dropped by PID 1: ${dropped}`,
    );
    for (const what of Object.keys(counts.sent) as (keyof typeof counts.sent)[])
      assert.ok(
        counts.acted[what] >= counts.sent[what],
        `${what}: sent ${counts.sent[what]}, acted on ${counts.acted[what]}`,
      );
    assert.equal(dropped, '0');
  });

  step('uninstall.sh removes it (and --purge the state and the user)', async () => {
    await sh('bash /opt/m2m-agent/scripts/uninstall.sh');
    assert.equal((await show())['LoadState'], 'not-found');
    assert.equal((await box!.exec(['test', '-e', '/opt/m2m-agent'])).code, 1);
    await sh('test -e /etc/m2m-agent/config.json'); // configuration kept
    await sh('bash /m2m-src/scripts/uninstall.sh --purge');
    assert.equal((await box!.exec(['getent', 'passwd', 'm2m-agent'])).code, 2);
    assert.equal((await box!.exec(['test', '-e', '/var/lib/m2m-agent'])).code, 1);
  });
});
