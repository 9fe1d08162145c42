/** Where things are: the configuration file, bundled and user device models. */
import { dirname, resolve } from 'node:path';
import { bundledDevicesDir, packageRoot, USER_DEVICES_DIR } from '../config/schemas.js';

export const DEFAULT_CONFIG_PATH = '/etc/m2m-agent/config.json';

/** The package root (holds `devices/`, `schema/`, `config/`), from `src/` or `dist/src/`. */
export const PACKAGE_ROOT = packageRoot();

export function configPath(
  option: string | boolean | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (typeof option === 'string') return option;
  return env.M2M_AGENT_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/**
 * Bundled models first, then `/etc/m2m-agent/devices/`, then `devices/` beside the configuration
 * file (a later directory's file of the same model name wins).
 */
export function deviceModelDirs(config: string): string[] {
  const dirs = [bundledDevicesDir(), USER_DEVICES_DIR];
  const beside = resolve(dirname(config), 'devices');
  if (!dirs.includes(beside)) dirs.push(beside);
  return dirs;
}
