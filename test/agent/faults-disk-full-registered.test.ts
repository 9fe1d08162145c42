/**
 * A full disk degrades, never dead-ends (real tmpfs, real agent, real registrar): the state
 * directory is a small tmpfs, 20 `bestEffort` counters and one `immediate` one sample while the
 * registrar is down, the disk fills. Eviction frees real space (the oldest `bestEffort` readings
 * go, no `immediate` one is refused), nothing leaks, the log says it once, the status file stays
 * true; then the registrar comes up: the agent registers although `identity.json` cannot be
 * written, delivers what was kept in order per device, and saves its identity once there is room.
 * A second run registers first (the registrar then goes away, as in the field report where the
 * link came back and sent nothing): the buffered readings must be sent once it is back.
 *
 * Needs root (it mounts a tmpfs in a temp directory and unmounts it at the end); skipped otherwise.
 */
import { test } from 'node:test';
import { fullDisk, skip } from './fixtures/disk-full.js';

// One scenario per file (see faults-disk-full.test.ts).
test(
  'a full disk after registering: once the registrar is back the buffered readings are sent',
  { skip, timeout: 600_000 },
  () => fullDisk(true),
);
