/**
 * Shared behaviour of sensors that stream on their own (NMEA GPS, PMS5003, generic line sensors):
 * the port stays open, each decoded frame updates the latest value of each reading, `sample()`
 * hands out the values received since the previous sample (or fails with `NoDataError` when the
 * sensor went quiet), and with `params.events` every frame is also emitted at once.
 */
import type { DeviceDriver, DriverContext, Reading } from '../types.js';
import type { ParamReader } from '../params.js';
import { DriverNotOpenError, NoDataError } from '../errors.js';
import { SerialConnection } from './serial-connection.js';
import type { SerialSettings } from './settings.js';
import { readSerialSettings } from './settings.js';

/** Options every serial driver accepts besides params. */
export interface SerialDriverOptions {
  /** Backoff between reopen attempts (tests shorten it). */
  reopenDelayMs?: (attempt: number) => number;
  /** How often the device node's presence is checked (default 2000 ms). */
  presenceCheckMs?: number;
}

/** Base class: subclasses decode bytes and call `record(readings)`. */
export abstract class StreamingSerialDriver implements DeviceDriver {
  protected readonly settings: SerialSettings;
  private readonly events: boolean;
  private latest = new Map<string, Reading>();
  private conn: SerialConnection | undefined;
  protected ctx: DriverContext | undefined;

  protected constructor(
    protected readonly protocol: string,
    p: ParamReader,
    private readonly serialOpts: SerialDriverOptions,
  ) {
    this.settings = readSerialSettings(p);
    this.events = p.boolean('events', false);
  }

  /** New bytes from the port. */
  protected abstract onBytes(chunk: Buffer): void;
  /** The port was (re)opened: drop partial frames. */
  protected abstract onReset(): void;

  async open(ctx: DriverContext): Promise<void> {
    this.ctx = ctx;
    const conn = new SerialConnection({
      settings: this.settings,
      clock: ctx.clock,
      log: ctx.log,
      onData: (chunk) => {
        this.onBytes(chunk);
      },
      onOpen: () => {
        this.onReset();
      },
      onFault: (err) => {
        ctx.fault(err);
      },
      ...this.serialOpts,
    });
    await conn.open();
    this.conn = conn;
    ctx.log.debug(`${this.protocol} open`, { path: this.settings.path, baudRate: this.settings.baudRate });
  }

  sample(): Promise<readonly Reading[]> {
    if (!this.ctx) return Promise.reject(new DriverNotOpenError(this.protocol));
    if (this.latest.size === 0)
      return Promise.reject(new NoDataError(`${this.protocol} on ${this.settings.path}`));
    const out = [...this.latest.values()];
    this.latest = new Map(); // not clear(): util/young-collections.ts
    return Promise.resolve(out);
  }

  async close(): Promise<void> {
    const conn = this.conn;
    this.conn = undefined;
    this.ctx = undefined;
    await conn?.close();
  }

  /** Records decoded readings: kept for the next sample, emitted now when `params.events`. */
  protected record(readings: readonly Reading[]): void {
    if (readings.length === 0) return;
    for (const r of readings) this.latest.set(r.n, r);
    if (this.events) this.ctx?.emit(readings);
  }

  /** Reports a dropped frame or line. */
  protected fault(err: Error): void {
    this.ctx?.fault(err);
  }

  /** Writes to the port (request/response protocols). */
  protected async write(bytes: Uint8Array): Promise<void> {
    if (!this.conn) throw new DriverNotOpenError(this.protocol);
    await this.conn.write(bytes);
  }
}
