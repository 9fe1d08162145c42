/** The `serial-line` driver: a sensor that prints text lines, decoded by `params.pattern`. */
import { ParamReader } from '../params.js';
import { stampNow } from '../reading.js';
import type { DriverContext } from '../types.js';
import type { SerialDriverOptions } from './streaming-driver.js';
import { LineStreamingDriver } from './line-streaming-driver.js';
import { compileLinePattern, parseLine } from './line-protocol.js';

/** Options of the line driver: serial options plus the model's reading units. */
export interface LineDriverOptions extends SerialDriverOptions {
  /** Units by reading name from the model's `readings`; `params.units` wins. */
  units?: Readonly<Record<string, string>>;
}

/** Generic line-based serial sensor. */
export class SerialLineDriver extends LineStreamingDriver {
  private readonly re: RegExp;
  private readonly units: Readonly<Record<string, string>>;

  constructor(params: Readonly<Record<string, unknown>>, opts: LineDriverOptions = {}) {
    const p = new ParamReader(params);
    super('serial-line', p, opts, { encoding: 'utf8' });
    this.re = compileLinePattern(p.string('pattern'), p.optionalString('flags') ?? '');
    this.units = { ...opts.units, ...p.stringMap('units') };
  }

  protected onLine(line: string, ctx: DriverContext): void {
    this.record(parseLine(line, this.re, this.units, stampNow(ctx.clock)));
  }
}
