/** A configured device as the agent runs it: the model's driver inside a `DeviceRunner`. */
import type { DeviceConfig } from '../config/types.js';
import { createDriver, type DriverEnv } from '../drivers/registry.js';
import { DeviceRunner } from '../drivers/device-runner.js';
import type { ActuatorCommand, Reading } from '../drivers/types.js';
import type { Clock } from '../util/clock.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { AgentDevice, DeviceStatus } from './agent.js';

export class RunnerDevice implements AgentDevice {
  readonly name: string;
  readonly kind: 'sensor' | 'actuator';
  readonly eventCategory: DeviceConfig['eventCategory'];
  private runner?: DeviceRunner;
  private startError?: string;

  constructor(
    private readonly config: DeviceConfig,
    private readonly env: DriverEnv,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.name = config.name;
    this.kind = config.kind;
    this.eventCategory = config.eventCategory;
  }

  start(onReadings: (readings: readonly Reading[]) => void): Promise<void> {
    const c = this.config;
    try {
      const driver = createDriver(c.driver, c.params, {
        ...this.env,
        deviceName: c.name,
        readings: c.readings,
      });
      this.runner = new DeviceRunner({
        name: c.name,
        driver,
        ...(c.sample === undefined ? {} : { sample: c.sample }),
        ...(c.deadband === undefined ? {} : { deadband: c.deadband }),
        onReadings,
        clock: this.clock,
        log: this.log,
      });
      this.runner.start();
    } catch (err) {
      this.startError = describeError(err);
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    return Promise.resolve();
  }

  get actuate(): ((cmd: ActuatorCommand) => Promise<readonly Reading[]>) | undefined {
    if (this.kind !== 'actuator') return undefined;
    return async (cmd) => {
      if (!this.runner)
        throw new Error(`device ${this.name} is not running${this.startError ? `: ${this.startError}` : ''}`);
      return this.runner.actuate(cmd);
    };
  }

  async stop(): Promise<void> {
    await this.runner?.stop();
  }

  status(): DeviceStatus {
    if (!this.runner)
      return {
        errors: this.startError ? 1 : 0,
        readings: 0,
        ...(this.startError ? { lastError: this.startError } : {}),
      };
    const s = this.runner.status();
    const last = s.lastReading;
    return {
      ...(last
        ? {
            lastReading: {
              time: new Date(last.timeMs).toISOString(),
              values: {
                [last.n || 'value']: last.v ?? last.vb ?? last.vs,
                ...(last.u ? { unit: last.u } : {}),
              },
            },
          }
        : {}),
      ...(s.lastError === undefined ? {} : { lastError: s.lastError }),
      errors: s.errors,
      readings: s.delivered,
    };
  }
}
