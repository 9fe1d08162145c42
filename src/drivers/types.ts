/**
 * The contract between device drivers and the agent. Drivers return readings, never primitives;
 * `agent/resources.ts` turns readings into `<contentInstance>` requests.
 */
import type { Logger } from '../util/log.js';
import type { Clock } from '../util/clock.js';

/** One measured value, SenML-shaped (RFC 8428): exactly one of v / vb / vs is set. */
export interface Reading {
  /** Reading name within the device (`temperature`, `pm25`, `lat`); may be empty for single-value devices. */
  readonly n: string;
  readonly v?: number;
  readonly vb?: boolean;
  readonly vs?: string;
  /** SenML unit (`Cel`, `ug/m3`, `ppm`, `%RH`, `lat`, `lon`, `m`). */
  readonly u?: string;
  /** Sampling time, wall-clock epoch ms. */
  readonly timeMs: number;
  /** Monotonic clock at sampling (lets a later wall-clock jump be corrected). */
  readonly monoMs: number;
}

/** A command for an actuator, already normalised from the liberal forms a user may send. */
export type ActuatorCommand = boolean | number;

/** What a driver gets when it is opened. */
export interface DriverContext {
  /** Emit readings produced on the driver's own initiative (edges, serial frames, events). */
  emit(readings: readonly Reading[]): void;
  /** Report a fault that did not stop the driver (bad checksum, garbage line). */
  fault(err: Error): void;
  readonly log: Logger;
  readonly clock: Clock;
}

/** A device driver instance (one per configured device). */
export interface DeviceDriver {
  /** Opens the hardware; rejects with a named error if it is absent. */
  open(ctx: DriverContext): Promise<void>;
  /** Takes a sample now (periodic devices). Absent for purely event-driven devices. */
  sample?(): Promise<readonly Reading[]>;
  /** Applies a command and resolves with the resulting state as readings (actuators only). */
  actuate?(cmd: ActuatorCommand): Promise<readonly Reading[]>;
  close(): Promise<void>;
}

/** Whether a device only reports (`sensor`) or also takes commands (`actuator`). */
export type DeviceKind = 'sensor' | 'actuator';

/** Where a device is in its life. */
export type RunnerState = 'idle' | 'opening' | 'backingOff' | 'running' | 'stopped';

/** What a running device shows (`status`, metrics, device management's health). */
export interface DeviceStatus {
  readonly state: RunnerState;
  /** The newest reading the driver produced (also when the deadband held it back). */
  readonly lastReading?: Reading;
  /** The newest batch of readings (all values of the last frame or sample, e.g. pm1, pm25, pm10). */
  readonly lastReadings?: readonly Reading[];
  /** `describeError` text of the newest failure. */
  readonly lastError?: string;
  readonly lastErrorCode?: string;
  readonly lastErrorAtMs?: number;
  /** Failures counted since start: driver creation, open, sample, command failures, timeouts, garbage, faults. */
  readonly errors: number;
  /** Readings delivered to `onReadings`. */
  readonly delivered: number;
}

/**
 * A running device, the one interface the agent uses (implemented by `DeviceRunner` over a
 * `DeviceDriver`). Failures stay inside: they are counted and shown in `status()`.
 */
export interface Device {
  readonly name: string;
  readonly kind: DeviceKind;
  /** Opens the driver (in the background, retrying) and starts sampling; readings go to `onReadings`. */
  start(onReadings?: (readings: readonly Reading[]) => void): void;
  /** Applies a command; the resulting state also goes to `onReadings`. Rejects with a named error. */
  actuate(cmd: ActuatorCommand): Promise<readonly Reading[]>;
  stop(): Promise<void>;
  status(): DeviceStatus;
}
