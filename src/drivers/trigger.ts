/**
 * When a periodic device samples: a cron expression with seconds (node-cron, 6 fields, local
 * time) or a plain interval on the injected clock (tests, `intervalMs`).
 */
import cron from 'node-cron';
import type { ScheduledTask } from 'node-cron';
import type { Clock, TimerHandle } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { silentLogger } from '../util/log.js';
import { sampleCronProblems } from '../util/sample-cron.js';

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

/** A node-cron trigger. The expression must pass `checkSampleExpression`. */
export function cronTrigger(expr: string, log: Logger = silentLogger): SampleTrigger {
  const problem = checkSampleExpression(expr);
  if (problem !== undefined) throw new Error(`bad sample expression "${expr}": ${problem}`);
  let task: ScheduledTask | undefined;
  // node-cron's own warnings (missed executions after a busy event loop) are not errors of ours.
  const cronLog = {
    info: (m: string) => {
      log.debug(m);
    },
    warn: (m: string) => {
      log.debug(m);
    },
    error: (m: string | Error) => {
      log.warn('node-cron error', { err: m instanceof Error ? m.message : m });
    },
    debug: () => undefined,
  };
  return {
    start(fire) {
      task = cron.schedule(
        expr,
        () => {
          fire();
        },
        { logger: cronLog },
      );
    },
    stop() {
      void task?.destroy();
      task = undefined;
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
