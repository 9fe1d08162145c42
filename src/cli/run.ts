/**
 * `m2m-agent run`: the service. Validates the configuration (every problem at once, exit 1 before
 * touching anything), opens the outbox, tells systemd it is ready (not waiting for the registrar:
 * a board without a link is still running), pings the watchdog while healthy, and on SIGTERM
 * stops accepting readings, flushes the outbox and closes the link with 1001. SIGHUP reloads the
 * configuration by restarting the agent in place; the outbox on disk carries over untouched.
 */
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { formatIssues } from '../config/format.js';
import type { AgentConfig } from '../config/types.js';
import { startAgent, type RunningAgent } from '../main.js';
import { createSdNotifier } from '../util/sd-notify.js';
import { installLoopBlockHook } from '../util/loop-block-hook.js';
import { startWatchdog, writableDirCheck, type Watchdog } from '../util/watchdog.js';
import { createLogger, isLogLevel, type Logger } from '../util/log.js';
import { describeError } from '../util/errors.js';
import { UsageError } from './args.js';
import { CONFIG_OPTION, EXIT_CONFIG, EXIT_OK, LOG_LEVEL_OPTION, type Command } from './command.js';
import { configPath, deviceModelDirs } from './paths.js';
import { redactUrl } from '../util/redact.js';
import { applyRemotePatch } from './remote-config.js';
import { readOutcome } from '../config/remote-store.js';

/** Exit code when the agent cannot run any more (systemd's Restart=on-failure restarts it). */
const EXIT_FAILURE = 1;
/** After a clean stop, how long open handles may delay the exit. */
const FORCED_EXIT_MS = 3000;
/**
 * The registrar asked for a restart (its reboot object): a clean stop, then this code, which is not
 * a success, so systemd's Restart=on-failure starts the agent again (EX_TEMPFAIL).
 */
export const EXIT_RESTART = 75;
/** 128 + SIGINT, as a shell reports it. */
const EXIT_INTERRUPTED = 130;

async function load(path: string, log: Logger, pendingPatch?: unknown): Promise<AgentConfig | undefined> {
  try {
    return await loadConfig(path, {
      deviceModelDirs: deviceModelDirs(path),
      ...(pendingPatch === undefined ? {} : { pendingPatch }),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error(`configuration ${path} has ${err.issues.length} problem(s)`, { issues: err.issues });
      process.stderr.write(`${path}:\n${formatIssues(err.issues)}\n`);
      return undefined;
    }
    throw err;
  }
}

export const runCommand: Command = {
  name: 'run',
  summary: 'run the agent (the systemd service runs this)',
  usage: 'm2m-agent run [-c FILE] [--log-level LEVEL]',
  options: [CONFIG_OPTION, LOG_LEVEL_OPTION],
  async run(options) {
    const levelOpt = typeof options['log-level'] === 'string' ? options['log-level'] : undefined;
    if (levelOpt !== undefined && !isLogLevel(levelOpt))
      throw new UsageError('--log-level must be debug, info, warn or error');
    const path = configPath(options.config);
    const first = await load(path, createLogger({ level: 'info' }));
    if (!first) return EXIT_CONFIG;
    let config: AgentConfig = first;
    let log = createLogger({ level: levelOpt ?? config.logLevel });
    const notifier = createSdNotifier({ logger: log });

    // Signals are taken from here on, before the agent starts: systemd may stop or reload a unit
    // that is still starting, and Node's default action for SIGTERM/SIGHUP would kill the process
    // without flushing the outbox.
    let stopSignal: string | undefined;
    let failed = false;
    let wakeStop: (() => void) | undefined;
    let restartRequested = false;
    const onRestartRequested = (): void => {
      if (stopSignal !== undefined) return;
      stopSignal = 'restart requested by the registrar';
      restartRequested = true;
      wakeStop?.();
    };
    const onStop = (signal: NodeJS.Signals): void => {
      if (stopSignal !== undefined) {
        // Ctrl-C twice: the person at the terminal wants out now. systemd sends SIGTERM once and
        // SIGKILL after TimeoutStopSec, so a repeated SIGTERM only gets a log line.
        if (signal === 'SIGINT') process.exit(EXIT_INTERRUPTED);
        log.warn('stop signal repeated; still flushing the outbox', { signal });
        return;
      }
      stopSignal = signal;
      wakeStop?.();
    };
    // The outcome of the last configuration patch, published in `config-status` (again after a restart).
    let configStatus: string | undefined = await readOutcome(config.stateDir);
    let applyPatch: (con: unknown) => void = () => {
      log.warn('configuration patch received before the agent started; ignored');
    };
    const agentOptions = {
      onRestartRequested,
      onConfigPatch: (con: unknown) => {
        applyPatch(con);
      },
      configStatus: () => configStatus,
    };
    let reloadWanted = false;
    let reload = (): void => {
      reloadWanted = true; // applied once the first start is done
    };
    const onHup = (): void => {
      reload();
    };
    process.on('SIGTERM', onStop);
    process.on('SIGINT', onStop);
    process.on('SIGHUP', onHup);
    const removeLoopBlockHook = installLoopBlockHook(process.env, log);
    const removeHandlers = (): void => {
      process.off('SIGTERM', onStop);
      process.off('SIGINT', onStop);
      process.off('SIGHUP', onHup);
      removeLoopBlockHook();
    };

    let running: RunningAgent;
    try {
      running = await startAgent(config, { logger: log, ...agentOptions });
    } catch (err) {
      removeHandlers();
      throw err;
    }
    log.info('agent running', {
      name: config.node.name,
      registrar: redactUrl(config.registrar.url),
      devices: config.devices.length,
    });
    await notifier.ready(`running; registrar ${redactUrl(config.registrar.url)}`);
    const watchdogMs = notifier.watchdogIntervalMs;
    const startWatching = (stateDir: string): Watchdog | undefined =>
      watchdogMs
        ? startWatchdog({
            intervalMs: watchdogMs,
            notifier,
            healthCheck: writableDirCheck(stateDir, log),
            logger: log,
          })
        : undefined;
    let watchdog = startWatching(config.stateDir);

    let busy = Promise.resolve();
    reload = (): void => {
      busy = busy
        .then(async () => {
          if (stopSignal !== undefined) return;
          await notifier.reloading();
          const next = await load(path, log);
          if (!next) {
            log.error('reload refused: the configuration is invalid; still running the previous one');
            await notifier.ready('reload refused: invalid configuration');
            return;
          }
          log.info('reloading the configuration');
          await running.stop();
          const previous = config;
          const nextLog = createLogger({ level: levelOpt ?? next.logLevel });
          try {
            running = await startAgent(next, { logger: nextLog, ...agentOptions });
            config = next;
            log = nextLog;
          } catch (err) {
            // The new configuration validated but does not start (e.g. its state directory cannot
            // be created): go back to the one that ran, so the board keeps collecting.
            log.error('reload failed; restarting with the previous configuration', {
              error: describeError(err),
            });
            running = await startAgent(previous, { logger: log, ...agentOptions });
          }
          watchdog?.stop();
          watchdog = startWatching(config.stateDir);
          await notifier.ready(config === next ? 'reloaded' : 'reload failed; previous configuration');
        })
        .catch((err: unknown) => {
          // Not even the previous configuration starts again: exit non-zero so systemd restarts us.
          log.error('reload failed and the agent could not be restarted', { error: describeError(err) });
          stopSignal ??= 'reload-failure';
          failed = true;
          wakeStop?.();
        });
    };
    if (reloadWanted) reload();
    applyPatch = (con: unknown): void => {
      busy = busy
        .then(async () => {
          if (stopSignal !== undefined) return;
          const outcome = await applyRemotePatch(con, {
            path,
            current: () => config,
            log: () => log,
            restart: async (next) => {
              await running.stop();
              const nextLog = createLogger({ level: levelOpt ?? next.logLevel });
              running = await startAgent(next, { logger: nextLog, ...agentOptions });
              config = next;
              log = nextLog;
            },
            rollback: async (previous) => {
              running = await startAgent(previous, { logger: log, ...agentOptions });
            },
          });
          configStatus = JSON.stringify(outcome);
          running.configStatusChanged();
          watchdog?.stop();
          watchdog = startWatching(config.stateDir);
        })
        .catch((err: unknown) => {
          log.error('configuration patch failed and the agent could not be restarted', {
            error: describeError(err),
          });
          stopSignal ??= 'reload-failure';
          failed = true;
          wakeStop?.();
        });
    };

    if (stopSignal === undefined)
      await new Promise<void>((resolve) => {
        wakeStop = resolve;
      });
    log.info('stopping: flushing the outbox and closing the link', { signal: stopSignal });
    await notifier.stopping();
    watchdog?.stop();
    await busy;
    await running.stop();
    process.off('SIGHUP', onHup);
    removeLoopBlockHook();
    log.info('stopped');
    // Everything is closed; a handle some library still holds must not keep a stopping service
    // alive until systemd's TimeoutStopSec kills it.
    const exitCode = failed ? EXIT_FAILURE : restartRequested ? EXIT_RESTART : EXIT_OK;
    setTimeout(() => {
      log.warn('handles still open after stop; exiting anyway');
      process.exit(exitCode);
    }, FORCED_EXIT_MS).unref();
    return exitCode;
  },
};
