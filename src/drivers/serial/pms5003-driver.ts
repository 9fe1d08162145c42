/** The `pms5003` driver: Plantower PMS5003 in active mode → `pm1`, `pm25`, `pm10` (atmospheric, ug/m3). */
import { ParamReader } from '../params.js';
import { stampNow, stampReading } from '../reading.js';
import { StreamingSerialDriver } from './streaming-driver.js';
import type { SerialDriverOptions } from './streaming-driver.js';
import { Pms5003Decoder } from './pms5003.js';

/** PMS5003 particulate sensor. */
export class Pms5003Driver extends StreamingSerialDriver {
  private readonly decoder = new Pms5003Decoder();
  /** Bytes before the first good frame after an open are the tail of a frame cut by the open. */
  private synced = false;

  constructor(params: Readonly<Record<string, unknown>>, opts: SerialDriverOptions = {}) {
    super('pms5003', new ParamReader(params), opts);
  }

  protected onBytes(chunk: Buffer): void {
    const ctx = this.ctx;
    if (!ctx) return;
    const { frames, faults } = this.decoder.push(chunk);
    for (const f of faults) {
      if (this.synced) this.fault(f);
      else ctx.log.debug('pms5003 resync after open', { err: f.message });
    }
    if (frames.length > 0) this.synced = true;
    for (const f of frames) {
      const at = stampNow(ctx.clock);
      this.record([
        stampReading(at, 'pm1', f.pm1, 'ug/m3'),
        stampReading(at, 'pm25', f.pm25, 'ug/m3'),
        stampReading(at, 'pm10', f.pm10, 'ug/m3'),
      ]);
    }
  }

  protected onReset(): void {
    this.decoder.reset();
    this.synced = false;
  }
}
