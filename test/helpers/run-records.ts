import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A sim counter's exact last value as its driver keeps it (its line in
 * `<stateDir>/drivers/counters.run`, src/drivers/run-records.ts), read synchronously; undefined
 * before its first sample.
 */
export function savedRunValue(stateDir: string, key: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(join(stateDir, 'drivers', 'counters.run'), 'utf8');
  } catch {
    return undefined;
  }
  for (const line of text.split('\n')) {
    try {
      const r = JSON.parse(line) as { key?: unknown; last?: unknown };
      if (r.key === key && typeof r.last === 'number') return r.last;
    } catch {
      // a blank or padded line
    }
  }
  return undefined;
}
