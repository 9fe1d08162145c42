/** A `DriverContext` that records what a driver emits and reports, for driver tests. */
import type { DriverContext, Reading } from '../../src/drivers/types.js';
import type { Clock } from '../../src/util/clock.js';
import { systemClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';

/** The context plus what went through it. */
export interface RecordingContext extends DriverContext {
  readonly emitted: Reading[][];
  readonly faults: Error[];
  readonly log: ReturnType<typeof memoryLogger>;
  /** Resolves when `pred` holds (checked at each emit or fault and every 10 ms), or rejects after `timeoutMs`. */
  waitFor(pred: () => boolean, timeoutMs?: number): Promise<void>;
}

/** A recording context on `clock` (default the system clock). */
export function recordingContext(clock: Clock = systemClock): RecordingContext {
  const emitted: Reading[][] = [];
  const faults: Error[] = [];
  const waiters = new Set<() => void>();
  const poke = (): void => {
    for (const w of [...waiters]) w();
  };
  return {
    emitted,
    faults,
    log: memoryLogger(),
    clock,
    emit(readings) {
      emitted.push([...readings]);
      poke();
    },
    fault(err) {
      faults.push(err);
      poke();
    },
    waitFor(pred, timeoutMs = 5000) {
      return new Promise<void>((resolve, reject) => {
        // Checked at each emit or fault, and every 10 ms for conditions on other state (log lines).
        const poll = setInterval(() => {
          check();
        }, 10);
        const timer = setTimeout(() => {
          clearInterval(poll);
          waiters.delete(check);
          reject(
            new Error(
              `condition not met within ${timeoutMs} ms; emitted ${JSON.stringify(emitted)}, faults ${faults.map((f) => f.message).join('; ')}`,
            ),
          );
        }, timeoutMs);
        const check = (): void => {
          if (!pred()) return;
          clearTimeout(timer);
          clearInterval(poll);
          waiters.delete(check);
          resolve();
        };
        waiters.add(check);
        check();
      });
    },
  };
}
