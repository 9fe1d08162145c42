/**
 * The agent process killed with SIGKILL at 22 random points while appending and draining, and
 * restarted on the same state directory each time (fixtures/kill-scenario.ts): every reading
 * that reached the outbox reaches the registrar, in order per stream; without idempotent names a
 * kill may leave requests the registrar carried out unacknowledged, so duplicates stay within the
 * in-flight window.
 */
import { test } from 'node:test';
import { KILLS, describeKills, runAndCheckKills } from './fixtures/kill-scenario.js';

test(`SIGKILL ${KILLS} times: no reading lost, duplicates within the in-flight window`, async (t) => {
  t.diagnostic(describeKills(await runAndCheckKills(false)));
});
