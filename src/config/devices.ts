/**
 * Checks of `devices[]` beyond the schema: unique names, known models, sampling cron syntax,
 * params against the model's `paramsSchema`, and hardware claimed twice (a GPIO pin, a serial
 * device path). Then builds each `DeviceConfig` with the model's defaults filled in.
 */
import type { EventCategoryName } from '../protocol/codes.js';
import { joinPath, type Issue } from '../util/issues.js';
import { validateSampleCron } from './cron.js';
import { isPlainObject, validateJson } from './json-schema.js';
import type { DeviceModel } from './models.js';
import { suggest } from './suggest.js';
import type { ContainerAttributes, ContentFormat, DeviceConfig } from './types.js';

/** A device entry after the schema pass and defaults. */
interface RawDevice {
  readonly name: string;
  readonly model: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly sample?: string;
  readonly eventCategory?: EventCategoryName;
  readonly container?: ContainerAttributes;
  readonly contentFormat?: ContentFormat;
  readonly deadband?: number;
  readonly push?: boolean;
}

function modelHint(model: string, models: ReadonlyMap<string, DeviceModel>): string {
  const known = [...models.keys()].sort();
  if (known.length === 0) return 'no device models were found: check the devices/ directories';
  const near = suggest(model, known);
  return `${near ? `did you mean "${near}"? ` : ''}known models: ${known.join(', ')}`;
}

/** Records the first user of an exclusive resource and reports later ones. */
class Claims {
  private readonly first = new Map<string, number>();
  constructor(private readonly issues: Issue[]) {}
  claim(key: string, index: number, path: string, what: string, hint: string): void {
    const owner = this.first.get(key);
    if (owner === undefined) this.first.set(key, index);
    else this.issues.push({ path, message: `${what} is already used by devices[${owner}]`, hint });
  }
}

/**
 * Cross-checks `devices` (the schema pass already ran; wrong types are skipped here, not reported
 * twice) and returns the problems found.
 */
export function checkDevices(devices: unknown, models: ReadonlyMap<string, DeviceModel>): Issue[] {
  const issues: Issue[] = [];
  if (!Array.isArray(devices)) return issues;
  const names = new Claims(issues);
  const hardware = new Claims(issues);
  devices.forEach((d: unknown, i) => {
    if (!isPlainObject(d)) return;
    const base = joinPath('devices', i);
    if (typeof d.name === 'string') {
      names.claim(
        d.name,
        i,
        joinPath(base, 'name'),
        `"${d.name}"`,
        'device names are container names and must be unique',
      );
    }
    if (typeof d.sample === 'string') issues.push(...sampleIssues(d.sample, joinPath(base, 'sample')));
    if (typeof d.model !== 'string') return;
    const model = models.get(d.model);
    if (!model) {
      issues.push({
        path: joinPath(base, 'model'),
        message: `unknown model "${d.model}"`,
        hint: modelHint(d.model, models),
      });
      return;
    }
    if (d.params !== undefined && !isPlainObject(d.params)) return;
    const params = { ...model.params, ...d.params };
    const paramsPath = joinPath(base, 'params');
    issues.push(...validateJson(model.paramsSchema, params, paramsPath));
    claimHardware(hardware, params, i, paramsPath);
  });
  return issues;
}

function sampleIssues(sample: string, path: string): Issue[] {
  return validateSampleCron(sample).map((message) => ({
    path,
    message,
    hint: '"*/30 * * * * *" = every 30 seconds, "0 */5 * * * *" = every 5 minutes',
  }));
}

/** The GPIO pin or serial port a device's parameters name can serve that device only. */
function claimHardware(
  hardware: Claims,
  params: Record<string, unknown>,
  index: number,
  paramsPath: string,
): void {
  // A pin number means a different pin on another GPIO chip, so the chip base is part of the key.
  if (typeof params.gpio === 'number') {
    const chip = typeof params.sysfsBase === 'number' ? `${params.sysfsBase}:` : '';
    hardware.claim(
      `gpio:${chip}${params.gpio}`,
      index,
      joinPath(paramsPath, 'gpio'),
      `pin ${params.gpio}`,
      'a GPIO pin can serve one device only',
    );
  }
  if (typeof params.path === 'string' && params.path.startsWith('/dev/')) {
    hardware.claim(
      `path:${params.path}`,
      index,
      joinPath(paramsPath, 'path'),
      params.path,
      'a serial port can be opened by one device only',
    );
  }
}

/** Builds the validated devices (call only when `checkDevices` and the schema pass found nothing). */
export function buildDevices(
  devices: readonly RawDevice[],
  models: ReadonlyMap<string, DeviceModel>,
  contentFormat: ContentFormat,
): DeviceConfig[] {
  return devices.map((d) => {
    const model = models.get(d.model);
    if (!model) throw new Error(`model ${d.model} vanished after validation`);
    const sample = d.sample ?? model.sample;
    return {
      name: d.name,
      model: d.model,
      driver: model.driver,
      kind: model.kind,
      readings: model.readings.map((r) =>
        r.unit === undefined ? { name: r.name } : { name: r.name, unit: r.unit },
      ),
      params: { ...model.params, ...d.params },
      ...(sample === undefined ? {} : { sample }),
      eventCategory: d.eventCategory ?? model.eventCategory,
      container: { ...model.container, ...d.container },
      contentFormat: d.contentFormat ?? contentFormat,
      ...(d.deadband === undefined ? {} : { deadband: d.deadband }),
      ...(d.push === undefined ? {} : { push: d.push }),
    };
  });
}

export type { RawDevice };
