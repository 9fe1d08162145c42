/**
 * The JSON Schema files shipped in `schema/`, read once and checked against the subset our
 * validator understands. Editors read the same files through `$schema`, so the schema on disk is
 * the single source of truth for key names, types, ranges and defaults.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkSchema } from './json-schema-check.js';
import type { JsonSchema } from './json-schema.js';

/** The package root (holds `schema/` and `devices/`), found by walking up from this module (works from `src/` and `dist/src/`). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'schema', 'config.schema.json')))
      return dir;
    const up = dirname(dir);
    if (up === dir)
      throw new Error('m2m-agent package root not found (schema/config.schema.json is missing)');
    dir = up;
  }
}

/** The bundled device model directory. */
export function bundledDevicesDir(): string {
  return join(packageRoot(), 'devices');
}

/** Where users add or override device models (a same-named file wins over the bundled one). */
export const USER_DEVICES_DIR = '/etc/m2m-agent/devices';

const cache = new Map<string, JsonSchema>();

function load(file: string): JsonSchema {
  const hit = cache.get(file);
  if (hit) return hit;
  const path = join(packageRoot(), 'schema', file);
  const { schema, issues } = checkSchema(JSON.parse(readFileSync(path, 'utf8')) as unknown);
  // A shipped schema outside the supported subset is a bug in this package, not a user error.
  if (!schema) throw new Error(`${path}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  cache.set(file, schema);
  return schema;
}

/** `schema/config.schema.json`. */
export function configSchema(): JsonSchema {
  return load('config.schema.json');
}

/** `schema/device.schema.json`. */
export function deviceSchema(): JsonSchema {
  return load('device.schema.json');
}

/** The agent's version, from the package's `package.json` (`unknown` if it cannot be read). */
export function agentVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}
