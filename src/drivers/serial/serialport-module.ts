/**
 * `serialport` loaded on first use, not at start-up: its native bindings and parsers cost a few
 * MiB of memory that a configuration without serial devices never needs. The package is
 * CommonJS, so `require` gives the same instance an `import` would, synchronously.
 */
import { createRequire } from 'node:module';

type SerialportModule = typeof import('serialport');

const require = createRequire(import.meta.url);
let loaded: SerialportModule | undefined;

/** The `serialport` package (loaded the first time a serial device needs it). */
export function serialport(): SerialportModule {
  return (loaded ??= require('serialport') as SerialportModule);
}
