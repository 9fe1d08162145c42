/**
 * As faults-sigkill.test.ts, with `buffer.idempotentNames`: each contentInstance is named after
 * its stream and outbox id, so a request resent after a kill meets 4105 CONFLICT instead of
 * creating a second copy: no reading lost and no duplicates.
 */
import { test } from 'node:test';
import { KILLS, describeKills, runAndCheckKills } from './fixtures/kill-scenario.js';

test(`SIGKILL ${KILLS} times with idempotent names: no reading lost, no duplicates`, async (t) => {
  t.diagnostic(describeKills(await runAndCheckKills(true)));
});
