/**
 * The `w1-ds18b20` driver: a DS18B20 (or another 1-Wire thermometer) through the kernel's w1-therm
 * sysfs file `<w1Root>/<id>/w1_slave`:
 *
 *     72 01 4b 46 7f ff 0e 10 57 : crc=57 YES
 *     72 01 4b 46 7f ff 0e 10 57 t=23125
 *
 * The first line must end in YES (the scratchpad CRC matched); `t=` is in milli-degrees Celsius.
 * 85 °C is the value the sensor holds after power-on before a conversion ran (datasheet: "power-on
 * reset value of the temperature register is +85 °C"), so it is treated as a bad reading.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { DeviceDriver, DriverContext, Reading } from '../types.js';
import { ParamReader } from '../params.js';
import { makeReading } from '../reading.js';
import {
  DriverNotOpenError,
  DriverParamsError,
  SensorBadValueError,
  SensorNotFoundError,
} from '../errors.js';

/** Default 1-Wire devices directory. */
export const DEFAULT_W1_ROOT = '/sys/bus/w1/devices';

const W1_ID = /^[0-9a-f]{2}-[0-9a-f]{12}$/;
const POWER_ON_MILLI = 85000;
const W1_HINT = 'enable 1-Wire (dtoverlay=w1-gpio in config.txt), check the 4.7 kΩ pull-up and the wiring';

/** Temperature in °C from the content of a `w1_slave` file; throws `SensorBadValueError` for bad reads. */
export function parseW1Slave(text: string): number {
  const [crcLine = '', dataLine = ''] = text.split('\n');
  if (!/\bYES\s*$/.test(crcLine)) {
    throw new SensorBadValueError(
      'SENSOR_CRC_ERROR',
      `1-Wire CRC check failed: "${crcLine.trim()}"`,
      W1_HINT,
    );
  }
  const m = /t=(-?\d+)\s*$/.exec(dataLine);
  if (!m?.[1])
    throw new SensorBadValueError('SENSOR_BAD_VALUE', `no t= value in "${dataLine.trim()}"`, W1_HINT);
  const milli = Number(m[1]);
  if (milli === POWER_ON_MILLI) {
    throw new SensorBadValueError(
      'SENSOR_BAD_VALUE',
      '85 °C is the DS18B20 power-on value, not a measurement',
      'the sensor reset or is short of power; use an external 3.3 V supply instead of parasite power',
    );
  }
  return milli / 1000;
}

/** DS18B20 via sysfs. `params.sensorId` may be omitted when exactly one thermometer is present. */
export class W1Ds18b20Driver implements DeviceDriver {
  private readonly sensorId: string | undefined;
  private file: string | undefined;
  private ctx: DriverContext | undefined;

  constructor(
    params: Readonly<Record<string, unknown>>,
    private readonly w1Root = DEFAULT_W1_ROOT,
  ) {
    const p = new ParamReader(params);
    this.sensorId = p.optionalString('sensorId');
    if (this.sensorId !== undefined && !W1_ID.test(this.sensorId)) {
      throw p.fail('sensorId', 'must look like 28-000005e2fdc3 (family, dash, 12 hex digits)');
    }
  }

  async open(ctx: DriverContext): Promise<void> {
    const id = this.sensorId ?? (await this.onlySensor());
    const file = path.join(this.w1Root, id, 'w1_slave');
    try {
      await fsp.access(file);
    } catch {
      throw new SensorNotFoundError(`1-Wire sensor ${id} not found (${file})`, W1_HINT);
    }
    this.file = file;
    this.ctx = ctx;
    ctx.log.debug('ds18b20 open', { file });
  }

  async sample(): Promise<readonly Reading[]> {
    if (!this.file || !this.ctx) throw new DriverNotOpenError('ds18b20');
    let text: string;
    try {
      text = await fsp.readFile(this.file, 'utf8');
    } catch (err) {
      throw new SensorNotFoundError(`cannot read ${this.file}: ${(err as Error).message}`, W1_HINT);
    }
    return [makeReading(this.ctx.clock, 'temperature', parseW1Slave(text), 'Cel')];
  }

  close(): Promise<void> {
    this.ctx = undefined;
    return Promise.resolve();
  }

  /** The one thermometer on the bus when no id is configured. */
  private async onlySensor(): Promise<string> {
    let ids: string[] = [];
    try {
      ids = (await fsp.readdir(this.w1Root)).filter((n) => W1_ID.test(n)).sort();
    } catch {
      throw new SensorNotFoundError(`no 1-Wire bus at ${this.w1Root}`, W1_HINT);
    }
    if (ids.length === 1 && ids[0]) return ids[0];
    if (ids.length === 0) throw new SensorNotFoundError(`no 1-Wire sensor under ${this.w1Root}`, W1_HINT);
    throw new DriverParamsError('params.sensorId', `several sensors present (${ids.join(', ')}): name one`);
  }
}
