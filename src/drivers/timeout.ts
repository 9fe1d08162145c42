/** Time limits for driver calls, on the injected clock so tests can run them without waiting. */
import type { Clock } from '../util/clock.js';
import { DriverTimeoutError } from './errors.js';

/**
 * Calls `fn` and settles with its result, or rejects with `DriverTimeoutError` after `timeoutMs`.
 * A synchronous throw becomes a rejection. The call itself is not cancelled (drivers have no
 * abort); a late result is ignored.
 */
export function callWithTimeout<T>(
  clock: Clock,
  fn: () => T | Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => {
      reject(new DriverTimeoutError(what, timeoutMs));
    }, timeoutMs);
    Promise.resolve()
      .then(fn)
      .then(
        (v) => {
          clock.clearTimeout(timer);
          resolve(v);
        },
        (err: unknown) => {
          clock.clearTimeout(timer);
          reject(err instanceof Error ? err : new Error(String(err)));
        },
      );
  });
}
