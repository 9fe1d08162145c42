/**
 * Device model files (`devices/<model>.json`, design.md "Device files"): loaded from a list of
 * directories where a later directory's same-named file wins (bundled first, then the user's
 * `/etc/m2m-agent/devices/`), validated against `schema/device.schema.json`, and checked beyond the
 * schema: the file name matches `model`, `paramsSchema` stays within the validator's subset, the
 * default params fit it, and `sample` is a valid cron.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import type { EventCategoryName } from '../protocol/codes.js';
import { joinPath, type Issue } from '../util/issues.js';
import { validateSampleCron } from './cron.js';
import { checkSchema } from './json-schema-check.js';
import { applyDefaults, validateJson, type JsonSchema } from './json-schema.js';
import { deviceSchema } from './schemas.js';
import type { ContainerAttributes } from './types.js';

/** One reading a model produces. */
export interface ReadingSpec {
  /** SenML name within the device (may be empty for a single value). */
  readonly name: string;
  /** SenML unit (`Cel`, `%RH`, `ppm`, ...). */
  readonly unit?: string;
  readonly description?: string;
}

/** A validated device model file. */
export interface DeviceModel {
  readonly model: string;
  readonly description?: string;
  /** The driver that runs it (`sim`, `gpio-input`, `pms5003`, ...). */
  readonly driver: string;
  readonly kind: 'sensor' | 'actuator';
  /** Default params; a device's own params are merged over them. */
  readonly params: Readonly<Record<string, unknown>>;
  /** Schema (validator subset) the merged params must satisfy. */
  readonly paramsSchema: JsonSchema;
  readonly readings: readonly ReadingSpec[];
  readonly eventCategory: EventCategoryName;
  /** Default sampling cron; undefined: event-driven. */
  readonly sample?: string;
  readonly container: ContainerAttributes;
  /** The file it was read from. */
  readonly source: string;
}

/** How a model file is named in issue paths: relative to the working directory when inside it. */
function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) ? rel : file;
}

/** `devices/pms5003.json: readings[0].unit`. */
function at(file: string, path: string): string {
  return path === '' ? file : `${file}: ${path}`;
}

/** Validates one parsed model file; `file` is its display name, `stem` its name without `.json`. */
export function validateDeviceModel(
  raw: unknown,
  file: string,
  stem: string,
): { model?: DeviceModel; issues: Issue[] } {
  const schema = deviceSchema();
  const found = validateJson(schema, raw);
  const issues: Issue[] = found.map((i) => ({ ...i, path: at(file, i.path) }));
  if (found.length > 0) return { issues };
  const m = applyDefaults(schema, raw) as Omit<DeviceModel, 'paramsSchema' | 'source'> & {
    paramsSchema: unknown;
  };
  if (m.model !== stem) {
    issues.push({
      path: at(file, 'model'),
      message: `"${m.model}" differs from the file name "${stem}.json"`,
      hint: 'name the file after the model: devices are matched by file name',
    });
  }
  const checked = checkSchema(m.paramsSchema, 'paramsSchema');
  issues.push(...checked.issues.map((i) => ({ ...i, path: at(file, i.path) })));
  if (checked.schema) {
    // Defaults may leave out required params (the device supplies them), so `required` is not checked here.
    const defaults = validateJson({ ...checked.schema, required: [] }, m.params, 'params');
    issues.push(...defaults.map((i) => ({ ...i, path: at(file, i.path) })));
  }
  if (m.sample !== undefined) {
    for (const msg of validateSampleCron(m.sample)) issues.push({ path: at(file, 'sample'), message: msg });
  }
  const names = new Map<string, number>();
  m.readings.forEach((r, i) => {
    const first = names.get(r.name);
    if (first !== undefined) {
      issues.push({
        path: at(file, joinPath(joinPath('readings', i), 'name')),
        message: `"${r.name}" is already used by readings[${first}]`,
        hint: 'reading names must be unique within a model',
      });
    } else names.set(r.name, i);
  });
  // The shape is sound even when other checks failed: keep the model so devices using it are still
  // checked, rather than also being reported as using an unknown model.
  if (!checked.schema) return { issues };
  return { model: { ...m, paramsSchema: checked.schema, source: file }, issues };
}

/**
 * Loads every `*.json` in `dirs` (missing directories are skipped); a later directory's file of the
 * same name replaces an earlier one. Returns the valid models and every problem found.
 */
export function loadDeviceModels(dirs: readonly string[]): {
  models: Map<string, DeviceModel>;
  issues: Issue[];
} {
  const files = new Map<string, string>();
  const issues: Issue[] = [];
  for (const dir of dirs) {
    let names: string[];
    try {
      names = readdirSync(dir).filter((n) => n.endsWith('.json'));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') {
        issues.push({
          path: displayPath(dir),
          message: `cannot read the device model directory: ${code ?? String(err)}`,
        });
      }
      continue;
    }
    for (const name of names.sort()) files.set(name.slice(0, -'.json'.length), join(dir, name));
  }
  const models = new Map<string, DeviceModel>();
  for (const [stem, path] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    const file = displayPath(path);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    } catch (err) {
      issues.push({ path: file, message: `cannot read the model: ${(err as Error).message}` });
      continue;
    }
    const r = validateDeviceModel(raw, file, stem);
    issues.push(...r.issues);
    if (r.model) models.set(stem, r.model);
  }
  return { models, issues };
}
