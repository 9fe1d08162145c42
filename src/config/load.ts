/**
 * Loading the configuration file (design.md "Configuration"): read, parse, load the device models,
 * validate everything, and either return the typed configuration or throw one `ConfigError`
 * carrying every problem (configuration and model files alike) with its key path and a hint.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Issue } from '../util/issues.js';
import { ConfigError } from './errors.js';
import { loadDeviceModels } from './models.js';
import type { AgentConfig } from './types.js';
import { validateConfig, type ValidateOptions } from './validate.js';

export interface LoadConfigOptions {
  /** Model directories, lowest precedence first (bundled `devices/`, then the user's). */
  readonly deviceModelDirs: readonly string[];
  /** Returns why a file cannot be read, or undefined (tests inject it). */
  readonly unreadable?: ValidateOptions['unreadable'];
}

/** "at position 42" in a JSON.parse message, as line and column. */
function locate(text: string, message: string): string {
  const m = /position (\d+)/.exec(message);
  if (!m) return '';
  const before = text.slice(0, Number(m[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return ` (line ${line}, column ${column})`;
}

/** Reads and parses the file; a problem becomes an issue whose path is the file itself. */
async function readJson(path: string): Promise<{ raw?: unknown; issue?: Issue }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    return {
      issue: {
        path,
        message: `cannot read the configuration: ${code}`,
        hint: 'copy config/example.json there, or pass -c FILE / set M2M_AGENT_CONFIG',
      },
    };
  }
  try {
    return { raw: JSON.parse(text) as unknown };
  } catch (err) {
    const msg = (err as Error).message;
    return {
      issue: {
        path,
        message: `not valid JSON${locate(text, msg)}: ${msg}`,
        hint: 'JSON has no comments and no trailing commas',
      },
    };
  }
}

/** Loads and validates the configuration; throws `ConfigError` (code CONFIG_INVALID) listing every problem. */
export async function loadConfig(path: string, opts: LoadConfigOptions): Promise<AgentConfig> {
  const { raw, issue } = await readJson(path);
  if (issue) throw new ConfigError([issue], path);
  const { models, issues: modelIssues } = loadDeviceModels(opts.deviceModelDirs);
  const { config, issues } = validateConfig(raw, models, {
    source: path,
    baseDir: dirname(resolve(path)),
    ...(opts.unreadable ? { unreadable: opts.unreadable } : {}),
  });
  const all = [...modelIssues, ...issues];
  if (all.length > 0 || !config) throw new ConfigError(all, path);
  return config;
}
