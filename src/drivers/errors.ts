/**
 * Named errors of the drivers layer. Tests and logs match on `code`, never on the message.
 * A driver error never stops the agent: the sampler counts it and shows it in `status`.
 */
import { AgentError, messageOf } from '../util/errors.js';

/** The device file names a driver this build does not have. */
export class UnknownDriverError extends AgentError {
  override readonly name = 'UnknownDriverError';
  constructor(
    readonly driver: string,
    known: readonly string[],
  ) {
    super('DRIVER_UNKNOWN', `unknown driver "${driver}"`, {
      hint: `use one of: ${known.join(', ')}`,
    });
  }
}

/** A driver parameter is missing, of the wrong type or out of range. */
export class DriverParamsError extends AgentError {
  override readonly name = 'DriverParamsError';
  constructor(
    /** Key path inside `params`, e.g. `params.gpio`. */
    readonly path: string,
    message: string,
    hint = 'fix the device entry in the configuration (or the model file in devices/)',
  ) {
    super('DRIVER_BAD_PARAMS', `${path}: ${message}`, { hint });
  }
}

/** `sample`/`actuate` called before `open` succeeded or after `close`. */
export class DriverNotOpenError extends AgentError {
  override readonly name = 'DriverNotOpenError';
  constructor(what: string) {
    super('DRIVER_NOT_OPEN', `${what}: driver is not open`, { retryable: true });
  }
}

/** A command was sent to a device that is not an actuator. */
export class NotAnActuatorError extends AgentError {
  override readonly name = 'NotAnActuatorError';
  constructor(device: string) {
    super('DRIVER_NOT_ACTUATOR', `${device} is a sensor and takes no commands`, {
      hint: 'send commands only to relay, led, gpio-output or sim step devices',
    });
  }
}

/** A sample took longer than its time limit (hung bus, unresponsive sensor). */
export class DriverTimeoutError extends AgentError {
  override readonly name = 'DriverTimeoutError';
  constructor(what: string, timeoutMs: number) {
    super('DRIVER_TIMEOUT', `${what} did not finish within ${timeoutMs} ms`, {
      retryable: true,
      hint: 'check the wiring and the sensor power; the next sample retries',
    });
  }
}

/** A driver produced something that is not a valid reading. */
export class BadReadingError extends AgentError {
  override readonly name = 'BadReadingError';
  constructor(message: string) {
    super('DRIVER_BAD_READING', message, { retryable: true });
  }
}

/** The optional `onoff` package is not installed (no C++ tool chain at install time). */
export class GpioNotInstalledError extends AgentError {
  override readonly name = 'GpioNotInstalledError';
  constructor(cause?: unknown) {
    super('GPIO_NOT_INSTALLED', 'GPIO support is not installed: install build tools and reinstall', {
      hint: 'apt-get install -y python3 make g++ and run npm ci again (onoff needs a native build)',
      cause,
    });
  }
}

/** The kernel offers no sysfs GPIO interface at all. */
export class GpioSysfsMissingError extends AgentError {
  override readonly name = 'GpioSysfsMissingError';
  constructor(readonly gpioDir: string) {
    super('GPIO_SYSFS_MISSING', `${gpioDir} does not exist: this kernel has no sysfs GPIO interface`, {
      hint: 'use a kernel/image built with CONFIG_GPIO_SYSFS (Raspberry Pi OS bookworm has it), or run where /sys is visible',
    });
  }
}

/** The GPIO controller of the board could not be identified among the gpiochips. */
export class GpioChipNotFoundError extends AgentError {
  override readonly name = 'GpioChipNotFoundError';
  constructor(found: readonly string[]) {
    super(
      'GPIO_CHIP_NOT_FOUND',
      `no Raspberry Pi GPIO controller among the gpiochips (${found.length === 0 ? 'none' : found.join(', ')})`,
      { hint: 'set params.sysfsBase to the base of the chip that carries the header pins' },
    );
  }
}

/** onoff could not export or configure the pin (permissions, busy pin). */
export class GpioOpenError extends AgentError {
  override readonly name = 'GpioOpenError';
  constructor(sysfsNumber: number, cause: unknown) {
    super('GPIO_OPEN_FAILED', `cannot open sysfs GPIO ${sysfsNumber}: ${messageOf(cause)}`, {
      retryable: true,
      hint: 'run as root or add the service user to the gpio group; check that no other program holds the pin',
      cause,
    });
  }
}

/** The serial port could not be opened or went away. */
export class SerialOpenError extends AgentError {
  override readonly name = 'SerialOpenError';
  constructor(path: string, cause: unknown) {
    super('SERIAL_OPEN_FAILED', `cannot open ${path}: ${messageOf(cause)}`, {
      retryable: true,
      hint: 'check the cable/USB adapter and that the service user is in the dialout group',
      cause,
    });
  }
}

/** A frame or sentence whose checksum does not match; it was dropped. */
export class ChecksumError extends AgentError {
  override readonly name = 'ChecksumError';
  constructor(protocol: string, expected: number, actual: number) {
    super(
      'SERIAL_BAD_CHECKSUM',
      `${protocol}: checksum 0x${actual.toString(16)} does not match 0x${expected.toString(16)}`,
      { retryable: true, hint: 'electrical noise or a wrong baud rate; the frame was dropped' },
    );
  }
}

/** Bytes or a line that do not form a frame of the protocol; they were dropped. */
export class FrameError extends AgentError {
  override readonly name = 'FrameError';
  constructor(protocol: string, message: string) {
    super('SERIAL_BAD_FRAME', `${protocol}: ${message}`, {
      retryable: true,
      hint: 'check the baud rate and the wiring (TX/RX swapped?)',
    });
  }
}

/** A request/response sensor did not answer in time. */
export class SensorTimeoutError extends AgentError {
  override readonly name = 'SensorTimeoutError';
  constructor(what: string, timeoutMs: number) {
    super('SENSOR_TIMEOUT', `${what}: no response within ${timeoutMs} ms`, {
      retryable: true,
      hint: 'check the wiring (sensor TX to board RX) and the sensor power (MH-Z19 needs 5 V)',
    });
  }
}

/** A streaming sensor sent nothing usable since the previous sample. */
export class NoDataError extends AgentError {
  override readonly name = 'NoDataError';
  constructor(what: string) {
    super('SENSOR_NO_DATA', `${what}: nothing received since the previous sample`, {
      retryable: true,
      hint: 'check the wiring, the baud rate and that the sensor is powered',
    });
  }
}

/** The sensor file or device is not there (unplugged, wrong id, overlay not loaded). */
export class SensorNotFoundError extends AgentError {
  override readonly name = 'SensorNotFoundError';
  constructor(what: string, hint: string) {
    super('SENSOR_NOT_FOUND', what, { retryable: true, hint });
  }
}

/** The sensor answered with a value known to be wrong (CRC failure, power-on value). */
export class SensorBadValueError extends AgentError {
  override readonly name = 'SensorBadValueError';
  constructor(code: 'SENSOR_CRC_ERROR' | 'SENSOR_BAD_VALUE', message: string, hint: string) {
    super(code, message, { retryable: true, hint });
  }
}
