/**
 * Driver names → driver classes. A device file names its driver (`"driver": "gpio-input"`), so a
 * new model that fits an existing driver is only a new file in `devices/`.
 */
import type { DeviceDriver } from './types.js';
import { UnknownDriverError } from './errors.js';
import { SimDriver } from './sim.js';
import { GpioInputDriver } from './gpio/gpio-input.js';
import { GpioOutputDriver } from './gpio/gpio-output.js';
import type { GpioOpener } from './gpio/gpio-pin.js';
import { createOnoffOpener } from './gpio/onoff-gpio.js';
import { W1Ds18b20Driver, DEFAULT_W1_ROOT } from './file/w1-ds18b20.js';
import { ThermalDriver, DEFAULT_THERMAL_ROOT } from './file/thermal.js';
import { SerialLineDriver } from './serial/line-driver.js';
import { NmeaDriver } from './serial/nmea-driver.js';
import { Pms5003Driver } from './serial/pms5003-driver.js';
import { Mhz19Driver } from './serial/mhz19-driver.js';
import type { SerialDriverOptions } from './serial/streaming-driver.js';

/** Every driver name a device file may use. */
export const DRIVER_NAMES = [
  'sim',
  'gpio-input',
  'gpio-output',
  'w1-ds18b20',
  'thermal',
  'serial-line',
  'nmea',
  'pms5003',
  'mh-z19',
] as const;
export type DriverName = (typeof DRIVER_NAMES)[number];

/** A reading a model declares (`readings` in the device file). */
export interface ModelReading {
  readonly name: string;
  readonly unit?: string;
}

/** Where drivers find the system and keep state; every field is optional with a real-system default. */
export interface DriverEnv {
  /** sysfs mount point for the GPIO pin mapping (default `/sys`). */
  sysfsRoot?: string;
  /** 1-Wire devices directory (default `/sys/bus/w1/devices`). */
  w1Root?: string;
  /** Thermal class directory (default `/sys/class/thermal`). */
  thermalRoot?: string;
  /** The agent's state directory (sim counter, last relay level); absent: state in memory only. */
  stateDir?: string;
  /** The device's name: keys its state file, so two devices never share one. */
  deviceName?: string;
  /** The model's readings: reading names (GPIO, sim) and units (sim, serial-line). */
  readings?: readonly ModelReading[];
  /** GPIO implementation (default onoff, imported lazily); tests pass `new FakeGpio().opener`. */
  gpioOpener?: GpioOpener;
  /** Serial reopen backoff and presence checks (tests shorten them). */
  serial?: SerialDriverOptions;
}

/** True when `name` is a driver this build has. */
export function isDriverName(name: string): name is DriverName {
  return (DRIVER_NAMES as readonly string[]).includes(name);
}

/**
 * Creates the driver `driverName` with its params (model defaults merged with the device's own).
 * Throws `UnknownDriverError` for an unknown name and `DriverParamsError` for bad params; opening
 * the hardware happens later, in `open`.
 */
export function createDriver(
  driverName: string,
  params: Readonly<Record<string, unknown>>,
  env: DriverEnv = {},
): DeviceDriver {
  if (!isDriverName(driverName)) throw new UnknownDriverError(driverName, DRIVER_NAMES);
  const first = env.readings?.[0];
  const serial: SerialDriverOptions = env.serial ?? {};
  const gpio = () => ({
    opener: env.gpioOpener ?? createOnoffOpener(),
    ...(env.sysfsRoot === undefined ? {} : { sysfsRoot: env.sysfsRoot }),
    ...(first ? { readingName: first.name } : {}),
  });
  const state = {
    ...(env.stateDir === undefined ? {} : { stateDir: env.stateDir }),
    ...(env.deviceName === undefined ? {} : { stateKey: env.deviceName }),
  };
  switch (driverName) {
    case 'sim':
      return new SimDriver(params, {
        ...state,
        ...(first ? { readingName: first.name } : {}),
        ...(first?.unit === undefined ? {} : { defaultUnit: first.unit }),
      });
    case 'gpio-input':
      return new GpioInputDriver(params, gpio());
    case 'gpio-output':
      return new GpioOutputDriver(params, { ...gpio(), ...state });
    case 'w1-ds18b20':
      return new W1Ds18b20Driver(params, env.w1Root ?? DEFAULT_W1_ROOT);
    case 'thermal':
      return new ThermalDriver(params, env.thermalRoot ?? DEFAULT_THERMAL_ROOT);
    case 'serial-line': {
      const units: Record<string, string> = {};
      for (const r of env.readings ?? []) if (r.unit !== undefined) units[r.name] = r.unit;
      return new SerialLineDriver(params, { ...serial, units });
    }
    case 'nmea':
      return new NmeaDriver(params, serial);
    case 'pms5003':
      return new Pms5003Driver(params, serial);
    case 'mh-z19':
      return new Mhz19Driver(params, serial);
  }
}
