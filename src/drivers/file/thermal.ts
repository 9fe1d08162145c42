/** The `thermal` driver: a thermal zone's temperature (`<thermalRoot>/thermal_zone0/temp`, milli-degrees). */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DeviceDriver, DriverContext, Reading } from '../types.js';
import { ParamReader } from '../params.js';
import { makeReading } from '../reading.js';
import { DriverNotOpenError, SensorBadValueError, SensorNotFoundError } from '../errors.js';

/** Default thermal class directory. */
export const DEFAULT_THERMAL_ROOT = '/sys/class/thermal';

const HINT = 'list /sys/class/thermal to find the zone of the CPU and set params.zone';

/** Temperature in °C from a thermal zone `temp` file (integer milli-degrees). */
export function parseThermalTemp(text: string): number {
  const t = text.trim();
  if (!/^-?\d+$/.test(t))
    throw new SensorBadValueError('SENSOR_BAD_VALUE', `not a milli-degree value: "${t}"`, HINT);
  return Number(t) / 1000;
}

/** CPU / board temperature from sysfs. */
export class ThermalDriver implements DeviceDriver {
  private readonly file: string;
  private ctx: DriverContext | undefined;

  constructor(params: Readonly<Record<string, unknown>>, thermalRoot = DEFAULT_THERMAL_ROOT) {
    const p = new ParamReader(params);
    const zone = p.string('zone', 'thermal_zone0');
    if (!/^thermal_zone\d+$/.test(zone)) throw p.fail('zone', 'must look like thermal_zone0');
    this.file = path.join(thermalRoot, zone, 'temp');
  }

  async open(ctx: DriverContext): Promise<void> {
    try {
      await fsp.access(this.file);
    } catch {
      throw new SensorNotFoundError(`no thermal zone file ${this.file}`, HINT);
    }
    this.ctx = ctx;
  }

  async sample(): Promise<readonly Reading[]> {
    if (!this.ctx) throw new DriverNotOpenError('thermal');
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      throw new SensorNotFoundError(`cannot read ${this.file}: ${(err as Error).message}`, HINT);
    }
    return [makeReading(this.ctx.clock, 'temperature', parseThermalTemp(text), 'Cel')];
  }

  close(): Promise<void> {
    this.ctx = undefined;
    return Promise.resolve();
  }
}
