/** `m2m-agent status`: what the running agent last wrote to its status file. */
import { loadConfig } from '../config/load.js';
import { formatStatus, readStatus } from '../agent/status.js';
import { CONFIG_OPTION, EXIT_CONFIG, EXIT_OK, type Command } from './command.js';
import { configPath, deviceModelDirs } from './paths.js';
import { redactSecrets } from '../util/redact.js';

export const statusCommand: Command = {
  name: 'status',
  summary:
    'registration, link state, outbox depth and age, last error per device (works while the service runs)',
  usage: 'm2m-agent status [-c FILE] [--json] [--state-dir DIR]',
  options: [
    CONFIG_OPTION,
    { name: 'json', help: 'print one JSON object' },
    { name: 'state-dir', value: true, help: 'read this state directory instead of the configured one' },
  ],
  async run(options) {
    let stateDir = typeof options['state-dir'] === 'string' ? options['state-dir'] : undefined;
    if (stateDir === undefined) {
      const path = configPath(options.config);
      const config = await loadConfig(path, { deviceModelDirs: deviceModelDirs(path) });
      stateDir = config.stateDir;
    }
    const status = await readStatus(stateDir);
    if (!status) {
      process.stderr.write(`no status in ${stateDir}: the agent has not run yet with this state directory\n`);
      return EXIT_CONFIG;
    }
    // A status file written by an older agent may still hold a URL with credentials.
    process.stdout.write(
      redactSecrets(
        options.json === true ? JSON.stringify(status) + '\n' : formatStatus(status, Date.now()) + '\n',
      ),
    );
    return EXIT_OK;
  },
};
