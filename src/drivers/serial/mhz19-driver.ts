/**
 * The `mh-z19` driver: Winsen MH-Z19(B) CO₂ sensor, request/response. Each sample sends the
 * datasheet's read command and waits for the 9-byte answer, at most `params.timeoutMs`.
 */
import { ParamReader } from '../params.js';
import type { Reading } from '../types.js';
import type { TimerHandle } from '../../util/clock.js';
import { makeReading } from '../reading.js';
import { ChecksumError, DriverNotOpenError, SensorTimeoutError } from '../errors.js';
import { StreamingSerialDriver } from './streaming-driver.js';
import type { SerialDriverOptions } from './streaming-driver.js';
import { MHZ19_READ_CO2, Mhz19Decoder } from './mhz19.js';

interface Pending {
  resolve(co2: number): void;
  reject(err: Error): void;
  timer: TimerHandle;
}

/** MH-Z19 / MH-Z19B CO₂ sensor. */
export class Mhz19Driver extends StreamingSerialDriver {
  private readonly decoder = new Mhz19Decoder();
  private readonly timeoutMs: number;
  private pending: Pending | undefined;

  constructor(params: Readonly<Record<string, unknown>>, opts: SerialDriverOptions = {}) {
    const p = new ParamReader(params);
    super('mh-z19', p, opts);
    this.timeoutMs = p.integer('timeoutMs', 2000, { min: 10, max: 60_000 });
  }

  override async sample(): Promise<readonly Reading[]> {
    const ctx = this.ctx;
    if (!ctx) throw new DriverNotOpenError('mh-z19');
    if (this.pending) throw new DriverNotOpenError('mh-z19 (a request is already waiting)');
    const answer = new Promise<number>((resolve, reject) => {
      const timer = ctx.clock.setTimeout(() => {
        this.pending = undefined;
        reject(new SensorTimeoutError(`mh-z19 on ${this.settings.path}`, this.timeoutMs));
      }, this.timeoutMs);
      this.pending = { resolve, reject, timer };
    });
    // The answer (or a bad checksum) can arrive before the write's callback: a rejection then
    // must not count as unhandled while we still wait for the write. `await answer` still throws.
    answer.catch(() => undefined);
    try {
      await this.write(MHZ19_READ_CO2);
    } catch (err) {
      this.settle(); // the answer is superseded by the write error
      throw err;
    }
    const co2 = await answer;
    return [makeReading(ctx.clock, 'co2', co2, 'ppm')];
  }

  override async close(): Promise<void> {
    this.settle()?.reject(new DriverNotOpenError('mh-z19 (closed)'));
    await super.close();
  }

  protected onBytes(chunk: Buffer): void {
    const { frames, faults } = this.decoder.push(chunk);
    for (const f of faults) {
      // A bad checksum spoils the answer being waited for: fail that sample (counted once there).
      const p = f instanceof ChecksumError ? this.settle() : undefined;
      if (p) p.reject(f);
      else this.fault(f);
    }
    for (const f of frames) {
      const p = this.settle();
      if (p) p.resolve(f.co2);
      else this.ctx?.log.debug('mh-z19 answer nobody asked for', { co2: f.co2 });
    }
  }

  protected onReset(): void {
    this.decoder.reset();
  }

  /** Takes the pending request out and stops its timer. */
  private settle(): Pending | undefined {
    const p = this.pending;
    this.pending = undefined;
    if (p) this.ctx?.clock.clearTimeout(p.timer);
    return p;
  }
}
