/**
 * systemd readiness, status and watchdog notifications (sd_notify(3)) for a Node process.
 *
 * Node's `dgram` cannot send on a unix datagram socket (and `net` gets EPROTOTYPE), and the native
 * addon needs libsystemd-dev to build, so each message is sent by running `systemd-notify` as a
 * child process (about 4 ms). The message therefore comes from the child's PID: the unit needs
 * `NotifyAccess=all`. `systemd-notify` waits (BARRIER=1) until the manager has read the message,
 * so a short-lived child is still attributed to our cgroup: the race where systemd drops a message
 * whose sender already exited ("Cannot find unit for notify message") cannot happen. Measured by
 * `npm run test:systemd` under systemd 252: every message sent was acted on (82 of 82 in a run).
 *
 * Outside systemd (`NOTIFY_SOCKET` unset) every call is a no-op.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { silentLogger, type Logger } from './log.js';
import { describeError } from './errors.js';
import { redactSecrets } from './redact.js';

/** Runs a command; rejects on a non-zero exit, a spawn error or the timeout. */
export type ExecFn = (
  file: string,
  args: readonly string[],
  options: { env: NodeJS.ProcessEnv; timeoutMs: number },
) => Promise<void>;

export interface SdNotifierOptions {
  /** Environment to read `NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID` from (default `process.env`). */
  env?: NodeJS.ProcessEnv;
  /** Command runner (default: `child_process.execFile`); injected in tests. */
  exec?: ExecFn;
  logger?: Logger;
  /** The `systemd-notify` binary (default: looked up on PATH). */
  command?: string;
  /** Kill `systemd-notify` after this long (its barrier waits up to 5 s for the manager). */
  timeoutMs?: number;
  /** Our PID, compared with `WATCHDOG_PID` (default `process.pid`). */
  pid?: number;
}

/** What the agent calls to talk to systemd; every method resolves (failures are logged, never thrown). */
export interface SdNotifier {
  /** True when `NOTIFY_SOCKET` is set (running as a `Type=notify` service). */
  readonly enabled: boolean;
  /** Ping period, half of `WATCHDOG_USEC` (sd_watchdog_enabled(3)); undefined when no watchdog is set for us. */
  readonly watchdogIntervalMs: number | undefined;
  /** `READY=1` (plus `STATUS=`): configuration valid and outbox open. */
  ready(status?: string): Promise<void>;
  /** `STATUS=` line shown by `systemctl status`. */
  status(text: string): Promise<void>;
  /**
   * `WATCHDOG=1`. Skipped while a previous ping is still running, so a stuck manager cannot pile
   * up children; resolves false then (and when no watchdog is ours), true once sent.
   */
  watchdogPing(): Promise<boolean>;
  /** `RELOADING=1` (SIGHUP received); call `ready()` when the reload is done. */
  reloading(status?: string): Promise<void>;
  /** `STOPPING=1` (SIGTERM received, draining). */
  stopping(status?: string): Promise<void>;
}

const execFileAsync = promisify(execFile);
const defaultExec: ExecFn = async (file, args, options) => {
  await execFileAsync(file, [...args], { env: options.env, timeout: options.timeoutMs, windowsHide: true });
};

/** One line only: a newline would let a status text inject further `KEY=value` assignments. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, ' ');
}

/** Parses `WATCHDOG_USEC` / `WATCHDOG_PID` as sd_watchdog_enabled(3) does; returns the ping period in ms. */
export function watchdogIntervalFromEnv(env: NodeJS.ProcessEnv, pid: number): number | undefined {
  const usecText = env['WATCHDOG_USEC'];
  if (usecText === undefined || !/^\d+$/.test(usecText)) return undefined;
  const usec = Number(usecText);
  if (!Number.isSafeInteger(usec) || usec <= 0) return undefined;
  const pidText = env['WATCHDOG_PID'];
  // The watchdog belongs to another process (e.g. a wrapper that did not `exec` node).
  if (pidText !== undefined && pidText !== '' && Number(pidText) !== pid) return undefined;
  return Math.max(1, Math.floor(usec / 2000));
}

/** `watchdogIntervalFromEnv`, with a warning when systemd's watchdog is set for another process. */
function ourWatchdogIntervalMs(env: NodeJS.ProcessEnv, pid: number, logger: Logger): number | undefined {
  const intervalMs = watchdogIntervalFromEnv(env, pid);
  if (env['WATCHDOG_USEC'] !== undefined && intervalMs === undefined) {
    logger.warn('WATCHDOG_USEC is set but the watchdog is not ours; no pings will be sent', {
      watchdogPid: env['WATCHDOG_PID'],
      pid,
    });
  }
  return intervalMs;
}

/**
 * The environment for `systemd-notify`. The service's may hold credentials
 * (M2M_AGENT_*_CREDENTIALS from the unit's EnvironmentFile): the child gets everything else, as
 * before, but not those.
 */
function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(
    Object.entries(env).filter(
      ([k]) => !/^M2M_AGENT_\w*CREDENTIALS$/.test(k) && k !== 'CREDENTIALS_DIRECTORY',
    ),
  );
}

/** Creates the notifier; a no-op object when `NOTIFY_SOCKET` is not set. */
export function createSdNotifier(opts: SdNotifierOptions = {}): SdNotifier {
  const env = opts.env ?? process.env;
  const exec = opts.exec ?? defaultExec;
  const logger = (opts.logger ?? silentLogger).child({ component: 'sd-notify' });
  const command = opts.command ?? 'systemd-notify';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const pid = opts.pid ?? process.pid;
  const socket = env['NOTIFY_SOCKET'];
  const enabled = socket !== undefined && socket !== '';
  const watchdogIntervalMs = enabled ? ourWatchdogIntervalMs(env, pid, logger) : undefined;
  let pingInFlight = false;
  const childEnv = withoutCredentials(env);

  const send = async (args: readonly string[], what: string): Promise<void> => {
    if (!enabled) return;
    try {
      await exec(command, args, { env: childEnv, timeoutMs });
      // One line per message at debug level: `npm run test:systemd` counts these against the
      // messages systemd reports it acted on.
      logger.debug('sd_notify sent', { what });
    } catch (err) {
      // A lost READY ends in a start timeout and a lost WATCHDOG in a restart; both are visible in
      // the journal through this line, which is the best we can do from here.
      logger.error('systemd notification failed', { what, error: describeError(err) });
    }
  };
  const withStatus = (first: string, status: string | undefined): string[] =>
    status === undefined ? [first] : [first, `STATUS=${redactSecrets(oneLine(status))}`];

  return {
    enabled,
    watchdogIntervalMs,
    ready: (status) => send(withStatus('READY=1', status), 'ready'),
    // Status text may quote the registrar URL; systemctl status shows it to every user.
    status: (text) => send([`STATUS=${redactSecrets(oneLine(text))}`], 'status'),
    reloading: (status) => send(withStatus('RELOADING=1', status), 'reloading'),
    stopping: (status) => send(withStatus('STOPPING=1', status), 'stopping'),
    watchdogPing: async () => {
      if (!enabled) return false;
      if (pingInFlight) {
        logger.warn('previous watchdog ping still running; skipping this one');
        return false;
      }
      pingInFlight = true;
      try {
        await send(['WATCHDOG=1'], 'watchdog');
      } finally {
        pingInFlight = false;
      }
      return true;
    },
  };
}
