/** The drivers layer's public surface: the driver contract, the registry, the runner and command parsing. */
export type * from './types.js';
export { DRIVER_NAMES, createDriver, isDriverName } from './registry.js';
export type { DriverEnv, DriverName, ModelReading } from './registry.js';
export { DeviceRunner, driverOpenBackoffMs } from './device-runner.js';
export type { DeviceRunnerOptions } from './device-runner.js';
export { checkSampleExpression, cronTrigger, intervalTrigger } from './trigger.js';
export type { SampleTrigger } from './trigger.js';
export { commandLevel, parseCommand } from './command.js';
export { makeReading, stampReading, checkReadings } from './reading.js';
export { FakeGpio } from './gpio/fake-gpio.js';
export type { GpioOpener, GpioPin } from './gpio/gpio-pin.js';
export * from './errors.js';
