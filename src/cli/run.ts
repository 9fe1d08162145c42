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
import { startWatchdog, writableDirCheck } from '../util/watchdog.js';
import { createLogger, isLogLevel, type Logger } from '../util/log.js';
import { describeError } from '../util/errors.js';
import { UsageError } from './args.js';
import { CONFIG_OPTION, EXIT_CONFIG, EXIT_OK, LOG_LEVEL_OPTION, type Command } from './command.js';
import { configPath, deviceModelDirs } from './paths.js';

async function load(path: string, log: Logger): Promise<AgentConfig | undefined> {
  try {
    return await loadConfig(path, { deviceModelDirs: deviceModelDirs(path) });
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
    let config = await load(path, createLogger({ level: 'info' }));
    if (!config) return EXIT_CONFIG;
    let log = createLogger({ level: levelOpt ?? config.logLevel });
    const notifier = createSdNotifier({ logger: log });
    let running: RunningAgent = await startAgent(config, { logger: log });
    log.info('agent running', {
      name: config.node.name,
      registrar: config.registrar.url,
      devices: config.devices.length,
    });
    await notifier.ready(`running; registrar ${config.registrar.url}`);
    const watchdogMs = notifier.watchdogIntervalMs;
    let watchdog = watchdogMs
      ? startWatchdog({
          intervalMs: watchdogMs,
          notifier,
          healthCheck: writableDirCheck(config.stateDir, log),
          logger: log,
        })
      : undefined;

    let busy = Promise.resolve();
    const reload = (): void => {
      busy = busy
        .then(async () => {
          await notifier.reloading();
          const next = await load(path, log);
          if (!next) {
            log.error('reload refused: the configuration is invalid; still running the previous one');
            await notifier.ready();
            return;
          }
          log.info('reloading the configuration');
          await running.stop();
          config = next;
          log = createLogger({ level: levelOpt ?? next.logLevel });
          running = await startAgent(next, { logger: log });
          watchdog?.stop();
          watchdog = watchdogMs
            ? startWatchdog({
                intervalMs: watchdogMs,
                notifier,
                healthCheck: writableDirCheck(next.stateDir, log),
                logger: log,
              })
            : undefined;
          await notifier.ready('reloaded');
        })
        .catch((err: unknown) => {
          log.error('reload failed', { error: describeError(err) });
        });
    };
    process.on('SIGHUP', reload);
    await new Promise<void>((resolve) => {
      process.once('SIGTERM', resolve);
      process.once('SIGINT', resolve);
    });
    process.off('SIGHUP', reload);
    log.info('stopping: flushing the outbox and closing the link');
    await notifier.stopping();
    watchdog?.stop();
    await busy;
    await running.stop();
    log.info('stopped');
    return EXIT_OK;
  },
};
