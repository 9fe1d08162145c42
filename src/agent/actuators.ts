/** Commands to actuators by device name: what a NOTIFY, the command poller and the ASN's own CSE apply. */
import type { ActuatorCommand, Device } from '../drivers/types.js';
import type { Logger } from '../util/log.js';
import type { AgentEvents } from './agent-events.js';

/** Applies a command to an actuator; the device reports its new state as a reading itself. */
export type Actuate = (device: string, cmd: ActuatorCommand) => Promise<void>;

/** `Actuate` over the running devices; a name that is not an actuator rejects. */
export function createActuate(devices: readonly Device[], log: Logger): Actuate {
  return async (device, cmd) => {
    const d = devices.find((x) => x.name === device);
    if (d?.kind !== 'actuator') throw new Error(`no actuator named ${device}`);
    log.info('command', { device, command: cmd });
    await d.actuate(cmd);
  };
}

/** A command from the registrar (NOTIFY, or a request to the ASN's own CSE) also shows the link is in use. */
export function commandsFromRegistrar(actuate: Actuate, events: AgentEvents): Actuate {
  return (device, cmd) => {
    events.emit('registrarActive');
    return actuate(device, cmd);
  };
}
