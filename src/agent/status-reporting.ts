/**
 * The running agent's health as others read it: the status file (`m2m-agent status`) and, when
 * configured, the Prometheus textfile beside it, both written from one snapshot.
 */
import type { AgentConfig } from '../config/types.js';
import type { Link } from '../connectivity/link.js';
import type { Outbox } from '../outbox/index.js';
import type { Clock } from '../util/clock.js';
import { describeError } from '../util/errors.js';
import type { Logger } from '../util/log.js';
import type { DeviceStatus } from '../drivers/types.js';
import type { Identity } from './identity.js';
import { renderMetrics, writeMetricsFile } from './metrics.js';
import { StatusWriter, type DeviceSnapshot, type StatusSnapshot } from './status.js';
import { redactUrl } from '../util/redact.js';

/** Consecutive successful metrics writes after a failure before the recovery is logged. */
const WRITES_BEFORE_RECOVERED = 60;

export interface StatusSources {
  readonly config: AgentConfig;
  readonly outbox: Pick<Outbox, 'stats'>;
  readonly link: Pick<Link, 'stats'>;
  readonly registration: { current(): Identity | undefined };
  readonly devices: readonly { readonly name: string; status(): DeviceStatus }[];
  readonly clock: Clock;
  readonly logger: Logger;
}

export interface StatusReporting {
  /** The current status, as the status file would hold it (a function: it may be passed on alone). */
  readonly snapshot: () => StatusSnapshot;
  /** Something changed: write soon, but not more than once a second (a function: it may be passed on alone). */
  readonly changed: () => void;
  /** Only counters moved (a reading sampled or delivered): written within a few seconds. */
  readonly counted: () => void;
  /** A request was answered by the registrar just now (the last round trip). */
  roundTrip(): void;
  /** Writes the status (and metrics) file now. */
  flush(): Promise<void>;
  /** Resolves once every metrics write started so far has ended (on stop, after `flush`). */
  settled(): Promise<void>;
}

/** Builds the snapshot from the running parts and writes it to the status and metrics files. */
export function createStatusReporting(o: StatusSources): StatusReporting {
  const { config, clock } = o;
  let lastRoundTripMs: number | undefined;
  const snapshot = (): StatusSnapshot => statusSnapshot(o, lastRoundTripMs);
  const metrics = config.metrics ? metricsWriter(config.metrics.textfile, o.logger) : undefined;
  const status = new StatusWriter(
    config.stateDir,
    () => {
      const snap = snapshot();
      metrics?.write(snap, lastRoundTripMs);
      return snap;
    },
    clock,
    o.logger,
  );
  return {
    snapshot,
    changed: () => {
      status.changed();
    },
    counted: () => {
      status.counted();
    },
    roundTrip: () => {
      lastRoundTripMs = clock.nowMs();
    },
    flush: () => status.flush(),
    settled: async () => {
      await metrics?.settled();
    },
  };
}

/** The status file's content now. */
function statusSnapshot(o: StatusSources, lastRoundTripMs: number | undefined): StatusSnapshot {
  const { config, outbox, link, registration, devices, clock } = o;
  const s = outbox.stats();
  const l = link.stats();
  const id = registration.current();
  return {
    identity: {
      ...(id ? { aeId: id.aeId, registeredAt: id.registeredAt } : {}),
      ...(id?.ri === undefined ? {} : { ri: id.ri }),
      registrar: `${redactUrl(config.registrar.url)} ${config.registrar.cseId}/${config.registrar.cseName}`,
      name: config.node.name,
      role: config.node.role,
    },
    link: {
      state: l.state,
      ...(l.subprotocol === undefined ? {} : { subprotocol: l.subprotocol }),
      ...(l.subprotocol === undefined
        ? {}
        : { compression: config.link.compression ? (l.compression ?? 'none') : 'off' }),
      since: new Date(l.sinceMs).toISOString(),
      reconnects: l.reconnects,
      ...(l.lastError === undefined ? {} : { lastError: l.lastError }),
    },
    outbox: {
      depth: s.depth,
      bytes: s.bytes,
      oldestAgeSeconds: Math.round(s.oldestAgeSeconds ?? 0),
      evicted: s.evicted,
      expired: s.expired,
      quarantined: s.quarantined,
      refused: s.refusedFull,
    },
    devices: Object.fromEntries(devices.map((d) => [d.name, deviceSnapshot(d.status())])),
    ...(lastRoundTripMs === undefined ? {} : { lastRoundTrip: new Date(lastRoundTripMs).toISOString() }),
    pid: process.pid,
    updatedAt: new Date(clock.nowMs()).toISOString(),
  };
}

/** A device as the status file shows it: its newest value by name, its counters and last error. */
export function deviceSnapshot(s: DeviceStatus): DeviceSnapshot {
  // Property by property, no spreads: a spread here built a new hidden class per device per write.
  const snap: { -readonly [K in keyof DeviceSnapshot]?: DeviceSnapshot[K] } = {};
  const last = s.lastReading;
  if (last) {
    const values: Record<string, unknown> = { [last.n || 'value']: last.v ?? last.vb ?? last.vs };
    if (last.u) values['unit'] = last.u;
    snap.lastReading = { time: new Date(last.timeMs).toISOString(), values };
  }
  if (s.lastError !== undefined) snap.lastError = s.lastError;
  snap.errors = s.errors;
  snap.readings = s.delivered;
  return snap as DeviceSnapshot;
}

/**
 * The metrics file beside the status file. Writes run one after another, so an older snapshot can
 * never land after a newer one (each goes through its own temp file and rename); a failure is
 * logged when it starts and when it ends, not once a second into the journal.
 */
function metricsWriter(
  path: string,
  log: Logger,
): { write(s: StatusSnapshot, lastRoundTripMs: number | undefined): void; settled(): Promise<void> } {
  let chain = Promise.resolve();
  let failing = false;
  let writtenSinceFailure = 0;
  const writeOne = async (s: StatusSnapshot, lastRoundTripMs: number | undefined): Promise<void> => {
    try {
      await writeMetricsFile(
        path,
        renderMetrics({
          linkUp: s.link.state === 'up',
          reconnects: s.link.reconnects,
          outbox: { ...s.outbox },
          devices: Object.fromEntries(
            Object.entries(s.devices).map(([k, d]) => [k, { readings: d.readings, errors: d.errors }]),
          ),
          lastRoundtripEpochMs: lastRoundTripMs ?? null,
        }),
      );
      // A nearly full disk lets some writes through: "written again" only after a run of them.
      if (failing && ++writtenSinceFailure >= WRITES_BEFORE_RECOVERED) {
        log.info('metrics file written again', { path });
        failing = false;
      }
    } catch (err) {
      if (!failing) log.warn('cannot write the metrics file', { path, error: describeError(err) });
      failing = true;
      writtenSinceFailure = 0;
    }
  };
  return {
    write(s, lastRoundTripMs) {
      chain = chain.then(() => writeOne(s, lastRoundTripMs));
    },
    settled: () => chain,
  };
}
