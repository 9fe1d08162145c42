/** `m2m-agent check`: validate the configuration and device files, print every problem. */
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { formatIssues } from '../config/format.js';
import { CONFIG_OPTION, EXIT_CONFIG, EXIT_OK, type Command } from './command.js';
import { configPath, deviceModelDirs } from './paths.js';
import { redactUrl } from '../util/redact.js';

export const checkCommand: Command = {
  name: 'check',
  summary: 'validate the configuration and device files; print every problem; exit 1 if any',
  usage: 'm2m-agent check [-c FILE]',
  options: [CONFIG_OPTION],
  async run(options) {
    const path = configPath(options.config);
    try {
      const config = await loadConfig(path, { deviceModelDirs: deviceModelDirs(path) });
      process.stdout.write(
        `${path}: OK (${config.node.role} "${config.node.name}" -> ${redactUrl(config.registrar.url)}, ${config.devices.length} devices, compat ${config.registrar.compatPreset})\n`,
      );
      return EXIT_OK;
    } catch (err) {
      if (err instanceof ConfigError) {
        process.stderr.write(
          `${path}: ${err.issues.length} problem${err.issues.length === 1 ? '' : 's'}\n${formatIssues(err.issues)}\n`,
        );
        return EXIT_CONFIG;
      }
      throw err;
    }
  },
};
