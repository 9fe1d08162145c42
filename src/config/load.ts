/**
 * Loading the configuration file (design.md "Configuration"): read, parse, load the device models,
 * validate everything, check the file modes that matter for security, add the credentials given
 * outside the file, and either return the typed configuration or throw one `ConfigError` carrying
 * every problem (configuration and model files alike) with its key path and a hint.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Issue } from '../util/issues.js';
import { ConfigError } from './errors.js';
import { loadDeviceModels } from './models.js';
import type { AgentConfig } from './types.js';
import { CREDENTIAL_SOURCES, hasUrlCredentials, readCredentials, withCredentials } from './credentials.js';
import { configFileModeIssues, stateDirModeIssues } from './permissions.js';
import { validateConfig, type ValidateOptions } from './validate.js';
import { allowConnectionIn, withPersistedPatch } from './remote-store.js';
import { applyRemotePatch, remotePatchIssues } from './remote-patch.js';

export interface LoadConfigOptions {
  /** Model directories, lowest precedence first (bundled `devices/`, then the user's). */
  readonly deviceModelDirs: readonly string[];
  /** Returns why a file cannot be read, or undefined (tests inject it). */
  readonly unreadable?: ValidateOptions['unreadable'];
  /** Where credentials come from (`CREDENTIALS_DIRECTORY`, `M2M_AGENT_*_CREDENTIALS`); default `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** A remote configuration patch to validate on top of the file and the stored patch. */
  readonly pendingPatch?: unknown;
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
  const { raw: fileRaw, issue } = await readJson(path);
  if (issue) throw new ConfigError([issue], path);
  // A patch applied through the registrar (stateDir/remote-config.json) outlives restarts.
  const remote = await withPersistedPatch(fileRaw, dirname(resolve(path)));
  if (remote.issues.length > 0) throw new ConfigError(remote.issues, path);
  let raw = remote.raw;
  if (opts.pendingPatch !== undefined) {
    // A patch just received: the same allow-list, then the same validation as the file itself.
    const refused = remotePatchIssues(opts.pendingPatch, { allowConnection: allowConnectionIn(fileRaw) });
    if (refused.length > 0) throw new ConfigError(refused, path);
    const applied = applyRemotePatch(raw, opts.pendingPatch as Record<string, unknown>);
    if (applied.issues.length > 0) throw new ConfigError(applied.issues, path);
    raw = applied.raw;
  }
  const { models, issues: modelIssues } = loadDeviceModels(opts.deviceModelDirs);
  const { config, issues } = validateConfig(raw, models, {
    source: path,
    baseDir: dirname(resolve(path)),
    ...(opts.unreadable ? { unreadable: opts.unreadable } : {}),
  });
  const all = [...modelIssues, ...issues, ...configFileModeIssues(path, credentialKeyIn(raw))];
  if (!config) throw new ConfigError(all, path);
  all.push(...stateDirModeIssues(config.stateDir));
  const withSecrets = applyCredentials(config, opts.env ?? process.env, all);
  if (all.length > 0) throw new ConfigError(all, path);
  return withSecrets;
}

/** The key whose value in the file carries credentials (user info in a URL), if any. */
function credentialKeyIn(raw: unknown): string | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const registrar = (raw as { registrar?: { url?: unknown; proxy?: unknown } }).registrar;
  if (typeof registrar?.url === 'string' && hasUrlCredentials(registrar.url)) return 'registrar.url';
  if (typeof registrar?.proxy === 'string' && hasUrlCredentials(registrar.proxy)) return 'registrar.proxy';
  return undefined;
}

/** Puts credentials given outside the file into the registrar and proxy URLs (in memory only). */
function applyCredentials(config: AgentConfig, env: NodeJS.ProcessEnv, issues: Issue[]): AgentConfig {
  let { url, proxy } = config.registrar;
  for (const target of ['registrar', 'proxy'] as const) {
    const { value, from, issue } = readCredentials(target, env);
    if (issue) issues.push(issue);
    if (value === undefined) continue;
    const key = CREDENTIAL_SOURCES[target].key;
    const current = target === 'registrar' ? url : proxy;
    if (current === undefined) {
      issues.push({
        path: key,
        message: `${from ?? ''} is set, but there is no proxy`,
        hint: 'set registrar.proxy, or unset the credentials',
      });
    } else if (hasUrlCredentials(current)) {
      issues.push({
        path: key,
        message: `has credentials in the file and from ${from ?? ''}: which one is meant?`,
        hint: 'keep only one, preferably outside the file',
      });
    } else if (target === 'registrar') url = withCredentials(current, value);
    else proxy = withCredentials(current, value);
  }
  return { ...config, registrar: { ...config.registrar, url, ...(proxy === undefined ? {} : { proxy }) } };
}
