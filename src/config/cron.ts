/**
 * Sampling cron expressions in the configuration and device model files: the same check the
 * sampler applies when it starts (util/sample-cron.ts), so `check` accepts exactly what runs.
 */
import { sampleCronProblems } from '../util/sample-cron.js';

/** Problems with a sampling expression (field, value, what is expected), empty when it runs. */
export function validateSampleCron(expr: string): string[] {
  return sampleCronProblems(expr);
}
