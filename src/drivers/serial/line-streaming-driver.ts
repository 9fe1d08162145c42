/** A streaming serial driver whose sensor prints text lines: framing, blank lines and faults in one place. */
import type { ParamReader } from '../params.js';
import type { DriverContext } from '../types.js';
import { StreamingSerialDriver, type SerialDriverOptions } from './streaming-driver.js';
import { LineFramer } from './line-framer.js';

export abstract class LineStreamingDriver extends StreamingSerialDriver {
  private readonly framer: LineFramer;

  protected constructor(
    protocol: string,
    p: ParamReader,
    opts: SerialDriverOptions,
    framing: { readonly encoding: BufferEncoding; readonly maxLineBytes?: number },
  ) {
    super(protocol, p, opts);
    this.framer = new LineFramer({
      protocol,
      ...framing,
      onLine: (line) => {
        this.dispatch(line);
      },
      onFault: (err) => {
        this.fault(err);
      },
    });
  }

  /** One non-blank line while the driver is open; a throw is counted as a fault of the device. */
  protected abstract onLine(line: string, ctx: DriverContext): void;

  protected onBytes(chunk: Buffer): void {
    this.framer.push(chunk);
  }

  protected onReset(): void {
    this.framer.reset();
  }

  private dispatch(line: string): void {
    const ctx = this.ctx;
    if (!ctx || line.trim() === '') return;
    try {
      this.onLine(line, ctx);
    } catch (err) {
      this.fault(err as Error);
    }
  }
}
