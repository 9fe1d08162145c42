/**
 * `m2m-agent run`: the service. Validates the configuration (every problem at once, exit 1 before
 * touching anything), opens the outbox, tells systemd it is ready (not waiting for the registrar:
 * a board without a link is still running), pings the watchdog while healthy, and on SIGTERM
 * stops accepting readings, flushes the outbox and closes the link with 1001. SIGHUP reloads the
 * configuration by restarting the agent in place; the outbox on disk carries over untouched.
 */
import { createLogger, isLogLevel, type LogLevel } from '../util/log.js';
import { UsageError } from './args.js';
import { AgentService, loadValidConfig } from './agent-service.js';
import { CONFIG_OPTION, EXIT_CONFIG, LOG_LEVEL_OPTION, type Command } from './command.js';
import { configPath } from './paths.js';

export { EXIT_RESTART } from './agent-service.js';

export const runCommand: Command = {
  name: 'run',
  summary: 'run the agent (the systemd service runs this)',
  usage: 'm2m-agent run [-c FILE] [--log-level LEVEL]',
  options: [CONFIG_OPTION, LOG_LEVEL_OPTION],
  async run(options) {
    const levelOption = logLevelOption(options['log-level']);
    const path = configPath(options.config);
    const config = await loadValidConfig(path, createLogger({ level: 'info' }));
    if (!config) return EXIT_CONFIG;
    const service = new AgentService(path, config, levelOption);
    service.takeSignals();
    await service.start();
    await service.stopRequested();
    return service.shutdown();
  },
};

function logLevelOption(value: string | boolean | undefined): LogLevel | undefined {
  if (typeof value !== 'string') return undefined;
  if (!isLogLevel(value)) throw new UsageError('--log-level must be debug, info, warn or error');
  return value;
}
