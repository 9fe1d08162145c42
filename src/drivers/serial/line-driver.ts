/** The `serial-line` driver: a sensor that prints text lines, decoded by `params.pattern`. */
import { ParamReader } from '../params.js';
import { stampNow } from '../reading.js';
import { StreamingSerialDriver } from './streaming-driver.js';
import type { SerialDriverOptions } from './streaming-driver.js';
import { LineFramer } from './line-framer.js';
import { compileLinePattern, parseLine } from './line-protocol.js';

/** Options of the line driver: serial options plus the model's reading units. */
export interface LineDriverOptions extends SerialDriverOptions {
  /** Units by reading name from the model's `readings`; `params.units` wins. */
  units?: Readonly<Record<string, string>>;
}

/** Generic line-based serial sensor. */
export class SerialLineDriver extends StreamingSerialDriver {
  private readonly re: RegExp;
  private readonly units: Readonly<Record<string, string>>;
  private readonly framer: LineFramer;

  constructor(params: Readonly<Record<string, unknown>>, opts: LineDriverOptions = {}) {
    const p = new ParamReader(params);
    super('serial-line', p, opts);
    this.re = compileLinePattern(p.string('pattern'), p.optionalString('flags') ?? '');
    this.units = { ...opts.units, ...p.stringMap('units') };
    this.framer = new LineFramer({
      protocol: 'serial-line',
      encoding: 'utf8',
      onLine: (line) => {
        this.onLine(line);
      },
      onFault: (err) => {
        this.fault(err);
      },
    });
  }

  protected onBytes(chunk: Buffer): void {
    this.framer.push(chunk);
  }

  protected onReset(): void {
    this.framer.reset();
  }

  private onLine(line: string): void {
    const ctx = this.ctx;
    if (!ctx || line.trim() === '') return;
    try {
      this.record(parseLine(line, this.re, this.units, stampNow(ctx.clock)));
    } catch (err) {
      this.fault(err as Error);
    }
  }
}
