/** Serial line settings from a device's params (`path`, `baudRate`, `dataBits`, `parity`, `stopBits`). */
import type { ParamReader } from '../params.js';

/** How to open a serial port. */
export interface SerialSettings {
  readonly path: string;
  readonly baudRate: number;
  readonly dataBits: 5 | 6 | 7 | 8;
  readonly parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  readonly stopBits: 1 | 1.5 | 2;
}

/** Reads and checks the serial settings, with 9600 8N1 (the sensors' usual framing) as defaults. */
export function readSerialSettings(p: ParamReader, defaults: Partial<SerialSettings> = {}): SerialSettings {
  const path = p.string('path', defaults.path);
  const baudRate = p.integer('baudRate', defaults.baudRate ?? 9600, { min: 50, max: 4_000_000 });
  const dataBits = p.integer('dataBits', defaults.dataBits ?? 8, { min: 5, max: 8 }) as 5 | 6 | 7 | 8;
  const parity = p.oneOf('parity', ['none', 'even', 'odd', 'mark', 'space'], defaults.parity ?? 'none');
  const stopBits = p.number('stopBits', defaults.stopBits ?? 1);
  if (stopBits !== 1 && stopBits !== 1.5 && stopBits !== 2) throw p.fail('stopBits', 'must be 1, 1.5 or 2');
  return { path, baudRate, dataBits, parity, stopBits };
}
