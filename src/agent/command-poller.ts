/**
 * Polls the `la` of each actuator's command container while the link is up, for registrars that
 * never send requests over the client's connection (Mobius dials notifications to the AE's `poa`,
 * which an agent behind NAT cannot accept). A command is applied once: the last applied
 * contentInstance's `ri` is remembered per device.
 */
import type { Connection } from '../binding/ws/types.js';
import { isSuccess } from '../protocol/codes.js';
import { isPlainObject } from '../protocol/validate.js';
import { parseCommand } from '../drivers/command.js';
import type { ActuatorCommand } from '../drivers/types.js';
import type { Clock } from '../util/clock.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import { createRqiGenerator } from './rqi.js';
import { retrieveRequest } from './resources.js';

/** Where the poller remembers which command it applied last (the agent's identity file). */
export interface AppliedCommands {
  get(device: string): string | undefined;
  set(device: string, id: string): Promise<void>;
}

export interface CommandPollerOptions {
  readonly conn: Connection;
  readonly devices: readonly string[];
  /** A device's command container as used in `to`, with the names the registrar gave. */
  readonly commandPath: (device: string) => string;
  readonly aeId: string;
  readonly rvi: string;
  readonly intervalMs: number;
  readonly clock: Clock;
  readonly logger: Logger;
  readonly apply: (device: string, cmd: ActuatorCommand) => Promise<void>;
  /** The last applied command per device, kept across connections and restarts. */
  readonly applied: AppliedCommands;
}

export class CommandPoller {
  private readonly rqi = createRqiGenerator('poll');

  constructor(private readonly o: CommandPollerOptions) {}

  start(signal: AbortSignal): void {
    const tick = async (): Promise<void> => {
      if (signal.aborted || !this.o.conn.isOpen) return;
      for (const d of this.o.devices) await this.pollOne(d);
      if (signal.aborted) return;
      const t = this.o.clock.setTimeout(() => void tick(), this.o.intervalMs);
      t.unref?.();
      signal.addEventListener(
        'abort',
        () => {
          this.o.clock.clearTimeout(t);
        },
        { once: true },
      );
    };
    void tick();
  }

  private async pollOne(device: string): Promise<void> {
    try {
      const rsp = await this.o.conn.request(
        retrieveRequest(`${this.o.commandPath(device)}/la`, {
          fr: this.o.aeId,
          rqi: this.rqi(),
          rvi: this.o.rvi,
        }),
      );
      if (!isSuccess(rsp.rsc)) return; // 4004: no command yet
      const cin = rsp.pc?.['m2m:cin'];
      if (!isPlainObject(cin)) return;
      const id =
        typeof cin.ri === 'string' ? cin.ri : typeof cin.ct === 'string' ? cin.ct : JSON.stringify(cin.con);
      const previous = this.o.applied.get(device);
      if (previous === id) return;
      await this.o.applied.set(device, id);
      const cmd = parseCommand(cin.con);
      if (cmd === undefined) {
        this.o.logger.warn('polled command not understood', { device, con: cin.con });
        return;
      }
      if (previous === undefined)
        this.o.logger.info('applying the latest command found by polling', { device });
      await this.o.apply(device, cmd);
    } catch (err) {
      this.o.logger.debug('command poll failed', { device, error: describeError(err) });
    }
  }
}
