/**
 * When a periodic device samples: a cron expression with seconds (node-cron's syntax, 6 fields,
 * local time; one shared timer for all devices) or a plain interval on the injected clock
 * (tests, `intervalMs`).
 */
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import { sampleCronProblems } from '../util/sample-cron.js';
import { describeError } from '../util/errors.js';
import { CronHub, sharedCronHub } from './cron-hub.js';

/** Calls `fire` at each sampling instant between `start` and `stop`. */
export interface SampleTrigger {
  start(fire: () => void): void;
  stop(): void;
}

/**
 * Why `expr` is not a usable sampling expression, or undefined when it is: the same check as
 * `m2m-agent check` (util/sample-cron.ts), six fields with seconds first (`*\/10 * * * * *`).
 */
export function checkSampleExpression(expr: string): string | undefined {
  const problems = sampleCronProblems(expr);
  return problems.length === 0 ? undefined : problems.join('; ');
}

/**
 * A cron trigger. The expression must pass `checkSampleExpression`. Every cron trigger of the
 * process shares one timer (`CronHub`): devices due at the same instant cost one wake-up.
 */
export function cronTrigger(
  expr: string,
  log: Logger = silentLogger,
  hub: CronHub = sharedCronHub,
): SampleTrigger {
  const problem = checkSampleExpression(expr);
  if (problem !== undefined) throw new Error(`bad sample expression "${expr}": ${problem}`);
  let remove: (() => void) | undefined;
  return {
    start(fire) {
      remove?.();
      remove = hub.add(expr, () => {
        // One device's failure must not keep the others due at this instant from sampling.
        try {
          fire();
        } catch (err) {
          log.warn('sampling trigger failed', { err: describeError(err) });
        }
      });
    },
    stop() {
      remove?.();
      remove = undefined;
    },
  };
}

/** A fixed-interval trigger on `clock` (first fire one interval after `start`). */
export function intervalTrigger(intervalMs: number, clock: Clock): SampleTrigger {
  if (!(intervalMs > 0)) throw new Error(`interval must be positive, got ${intervalMs}`);
  let timer: TimerHandle | undefined;
  let running = false;
  return {
    start(fire) {
      running = true;
      const arm = (): void => {
        timer = clock.setTimeout(() => {
          if (!running) return;
          arm();
          fire();
        }, intervalMs);
      };
      arm();
    },
    stop() {
      running = false;
      if (timer) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
