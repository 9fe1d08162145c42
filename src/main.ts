/**
 * The composition root: the only place (with `cli/`) that picks concrete classes. Builds a running
 * agent from a validated configuration.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { connect as wsConnect } from './binding/ws/index.js';
import type { Connect, FrameObserver, TlsOptions } from './binding/ws/types.js';
import type { Serialization } from './codec/subprotocol.js';
import type { AgentConfig } from './config/types.js';
import { exponentialBackoff } from './connectivity/backoff.js';
import { Link } from './connectivity/link.js';
import { parseSchedule } from './connectivity/schedule.js';
import type { DriverEnv } from './drivers/registry.js';
import { FileOutboxStore, Outbox, type OutboxStore } from './outbox/index.js';
import { Agent } from './agent/agent.js';
import { createAsnNode, type AsnNode } from './agent/asn/node.js';
import type { AsnRegistration } from './agent/asn/registration.js';
import { contentSerializations, createConnector } from './agent/connector.js';
import { RunnerDevice } from './agent/runner-device.js';
import { IdentityStore } from './agent/identity.js';
import { createInboundHandler } from './agent/inbound.js';
import { Registration } from './agent/registration.js';
import { createRqiGenerator } from './agent/rqi.js';
import { lockStateDir } from './agent/state-lock.js';
import { StatusWriter, type StatusSnapshot } from './agent/status.js';
import { TrustPolicy } from './agent/trust.js';
import { Uplink, type UplinkQueue } from './agent/uplink.js';
import { COMMAND_CONTAINER_NAME, COMMAND_SUBSCRIPTION_NAME } from './agent/resources.js';
import { renderMetrics, writeMetricsFile } from './agent/metrics.js';
import { bootClock, correctedWallMs, readBootId } from './util/clock-jump.js';
import type { Clock } from './util/clock.js';
import { describeError } from './util/errors.js';
import type { Logger } from './util/log.js';
import type { Reading } from './drivers/types.js';
import { serializationOf } from './codec/subprotocol.js';

export interface StartOptions {
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Replaces the WebSocket client (tests). */
  readonly connect?: Connect;
  /** Replaces the file store (tests, benchmarks). */
  readonly store?: OutboxStore;
  readonly driverEnv?: Omit<DriverEnv, 'stateDir' | 'deviceName' | 'readings'>;
  readonly onFrame?: FrameObserver;
  readonly onReading?: (device: string, readings: readonly Reading[]) => void;
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly link: Link;
  readonly outbox: Outbox;
  readonly registration: Registration | AsnRegistration;
  /** The ASN role's own CSE and routed-request handler; undefined in the ADN role. */
  readonly asn?: AsnNode;
  snapshot(): StatusSnapshot;
  /** Stops devices, closes the link (1001), flushes the outbox and the status file. */
  stop(): Promise<void>;
}

export async function startAgent(config: AgentConfig, o: StartOptions): Promise<RunningAgent> {
  const clock = o.clock ?? bootClock;
  const log = o.logger;
  await mkdir(config.stateDir, { recursive: true });
  const unlock = await lockStateDir(config.stateDir);
  const bootId = readBootId();
  const store =
    o.store ??
    (await FileOutboxStore.open(`${config.stateDir}/outbox`, {
      fsyncIntervalMs: config.buffer.fsyncIntervalMs,
      logger: log,
    }));
  const outbox = new Outbox(store, {
    maxBytes: config.buffer.maxBytes,
    maxAgeSeconds: config.buffer.maxAgeSeconds,
    clock,
    bootId,
    logger: log,
  });
  const compat = config.registrar.compat;
  const rqi = createRqiGenerator();

  // ASN role: the agent's own CSE (readings stored, commands applied), <remoteCSE> registration.
  const asn =
    config.node.role === 'asn'
      ? await createAsnNode({
          config,
          store: new IdentityStore(config.stateDir),
          rqi,
          clock,
          logger: log.child({ component: 'asn' }),
          actuate: async (device, cmd) => {
            if (!ref.agent) throw new Error('agent not started');
            link.touch();
            await ref.agent.actuate(device, cmd);
          },
        })
      : undefined;
  const registration =
    asn?.registration ??
    new Registration({
      registrarCseId: config.registrar.cseId,
      cseBase: config.registrar.cseName,
      name: config.node.name,
      appId: config.node.appId,
      ...(config.node.originator === undefined ? {} : { originator: config.node.originator }),
      releaseVersion: config.releaseVersion,
      poa: compat.poa,
      subscribe: compat.notificationsOverLink,
      devices: config.devices,
      store: new IdentityStore(config.stateDir),
      rqi,
      logger: log.child({ component: 'registration' }),
      requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
    });

  const devices = config.devices.map(
    (d) =>
      new RunnerDevice(
        d,
        { ...o.driverEnv, stateDir: config.stateDir },
        clock,
        log.child({ component: 'device' }),
      ),
  );

  const ref: { agent?: Agent } = {};
  let lastRoundTripMs: number | undefined;
  const queue: UplinkQueue = {
    next: async (n, skip) => outbox.next(n, skip),
    ack: async (id) => {
      await outbox.ack(id);
    },
    reject: async (id, reason) => {
      await outbox.reject(id, reason);
    },
    waitForAppend: (signal) =>
      new Promise<void>((resolve) => {
        const done = (): void => {
          off();
          signal.removeEventListener('abort', done);
          resolve();
        };
        const off = outbox.onAppended(done);
        signal.addEventListener('abort', done, { once: true });
      }),
  };

  const uplink = new Uplink({
    queue,
    rvi: config.releaseVersion,
    rqi,
    aeId: () => registration.aeId,
    aePath: () => registration.aePath,
    contentFormat: (device) =>
      config.devices.find((d) => d.name === device)?.contentFormat ?? config.contentFormat,
    idempotentNames: config.buffer.idempotentNames,
    maxInFlight: compat.maxInFlight,
    requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
    correctedTime: (p) =>
      correctedWallMs({ wallMs: p.timeMs, monoMs: p.monoMs, bootId: p.bootId }, outbox.now()),
    recover: async (conn) => {
      const negotiated = serializationOf(conn.subprotocol) ?? 'json';
      await registration.recover(conn, contentSerializations(negotiated, config.serializations));
    },
    clock,
    logger: log.child({ component: 'uplink' }),
    onDelivered: () => {
      lastRoundTripMs = clock.nowMs();
      link.touch();
      status.changed();
    },
    onQuarantined: () => {
      status.changed();
    },
  });

  const trust = new TrustPolicy(config.registrar.cseId, config.trustedOriginators);
  const actuators = config.devices.filter((d) => d.kind === 'actuator').map((d) => d.name);
  const inbound = createInboundHandler({
    trust,
    actuators,
    resourceIdsOf: (device) => {
      const r = registration.current()?.resources ?? {};
      const cmd = `${device}/${COMMAND_CONTAINER_NAME}`;
      return [r[`${cmd}/${COMMAND_SUBSCRIPTION_NAME}`], r[cmd]].filter((x): x is string => x !== undefined);
    },
    actuate: async (device, cmd) => {
      if (!ref.agent) throw new Error('agent not started');
      link.touch();
      await ref.agent.actuate(device, cmd);
    },
    logger: log.child({ component: 'inbound' }),
    onSubscriptionDeleted: (device) => {
      if (device === undefined || !(registration instanceof Registration)) return;
      void registration
        .forgetResource(`${device}/${COMMAND_CONTAINER_NAME}/${COMMAND_SUBSCRIPTION_NAME}`)
        .then(() => ref.agent?.resync());
    },
  });

  const tls = await loadTls(config);
  const connector = createConnector({
    connect: o.connect ?? wsConnect,
    base: {
      url: config.registrar.url,
      ...(tls ? { tls } : {}),
      ...(config.registrar.proxy === undefined ? {} : { proxy: config.registrar.proxy }),
      pingIntervalMs: config.link.pingIntervalSeconds * 1000,
      pongTimeoutMs: config.link.pongTimeoutSeconds * 1000,
      requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
      onRequest: asn?.onRequest ?? inbound,
      ...(o.onFrame ? { onFrame: o.onFrame } : {}),
      logger: log.child({ component: 'ws' }),
    },
    serializations: config.serializations,
    compat,
    origin: () => registration.aeId ?? config.node.originator,
    logger: log.child({ component: 'link' }),
  });

  const schedule = config.schedule ? parseSchedule(config.schedule) : undefined;
  const link: Link = new Link({
    connect: connector.connect,
    session: (conn, signal) => {
      if (!ref.agent) return Promise.resolve();
      return ref.agent.session(conn, signal);
    },
    ...(schedule ? { schedule } : {}),
    hasUrgentWork: () => outbox.hasImmediate(),
    hasWork: () => outbox.stats().depth > 0,
    backoff: exponentialBackoff({ floorMs: config.link.backoffFloorMs, capMs: config.link.backoffCapMs }),
    clock,
    logger: log,
    closeGraceMs: config.link.closeGraceSeconds * 1000,
    idleCloseMs: config.link.idleCloseSeconds * 1000,
    // Outside windows the link opened for `immediate` work closes after this idle time too.
    ...(config.link.idleCloseSeconds > 0 ? { urgentLingerMs: config.link.idleCloseSeconds * 1000 } : {}),
    onStateChange: () => {
      status.changed();
    },
  });

  const agent = new Agent({
    config,
    devices,
    outbox: {
      append: async (e) => {
        // ASN role: every reading is stored locally; only `push` devices also go upstream.
        if (asn && !(await asn.record(e.payload))) return;
        await outbox.append({
          stream: e.stream,
          ec: e.ec,
          payload: e.payload,
          sampledAt: { wallMs: e.timeMs, monoMs: e.monoMs, bootId },
        });
      },
      hasImmediate: () => outbox.hasImmediate(),
      depth: () => outbox.stats().depth,
    },
    registration,
    uplink,
    link,
    clock,
    bootId,
    logger: log,
    csz: (conn) => contentSerializations(serializationOf(conn.subprotocol) ?? 'json', config.serializations),
    // ACME identifies a connection by its handshake's X-M2M-Origin: if the AE-ID was assigned
    // (not the stem we announced), this connection cannot carry our other requests.
    needsReconnectAfterRegistration: () =>
      compat.originHeader && connector.originSent() !== registration.aeId,
    ...(registration instanceof Registration
      ? {
          appliedCommands: {
            get: (device: string) => registration.note(`applied:${device}`),
            set: (device: string, id: string) => registration.setNote(`applied:${device}`, id),
          },
        }
      : {}),
    onReading: (device, readings) => {
      status.changed();
      o.onReading?.(device, readings);
    },
  });
  ref.agent = agent;

  const snapshot = (): StatusSnapshot => {
    const s = outbox.stats();
    const l = link.stats();
    const id = registration.current();
    return {
      identity: {
        ...(id ? { aeId: id.aeId, registeredAt: id.registeredAt } : {}),
        ...(id?.ri === undefined ? {} : { ri: id.ri }),
        registrar: `${config.registrar.url} ${config.registrar.cseId}/${config.registrar.cseName}`,
        name: config.node.name,
        role: config.node.role,
      },
      link: {
        state: l.state,
        ...(l.subprotocol === undefined ? {} : { subprotocol: l.subprotocol }),
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
      },
      devices: Object.fromEntries(devices.map((d) => [d.name, d.status()])),
      ...(lastRoundTripMs === undefined ? {} : { lastRoundTrip: new Date(lastRoundTripMs).toISOString() }),
      pid: process.pid,
      updatedAt: new Date(clock.nowMs()).toISOString(),
    };
  };
  const metrics = config.metrics ? metricsWriter(config.metrics.textfile, log) : undefined;
  const status = new StatusWriter(
    config.stateDir,
    () => {
      const snap = snapshot();
      metrics?.write(snap, lastRoundTripMs);
      return snap;
    },
    clock,
    log,
  );

  // Expiry is checked once a minute: cheap (an index walk), and no busy timer between windows.
  const expiryTimer = setInterval(() => {
    void outbox.expireDue().then((n) => {
      if (n > 0) status.changed();
    });
  }, 60_000);
  expiryTimer.unref();
  await outbox.expireDue();

  await agent.start();
  await status.flush();

  let stopping: Promise<void> | undefined;
  return {
    agent,
    link,
    outbox,
    registration,
    ...(asn ? { asn } : {}),
    snapshot,
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(expiryTimer);
        await agent.stop();
        await status.flush();
        await metrics?.settled();
        await outbox.close();
        await unlock();
      })()),
  };
}

async function loadTls(config: AgentConfig): Promise<TlsOptions | undefined> {
  const t = config.registrar.tls;
  if (!t || !config.registrar.url.startsWith('wss:')) return undefined;
  return {
    ...(t.ca ? { ca: await readFile(t.ca) } : {}),
    ...(t.cert ? { cert: await readFile(t.cert) } : {}),
    ...(t.key ? { key: await readFile(t.key) } : {}),
    ...(t.insecure ? { insecure: true } : {}),
  };
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
      if (failing) log.info('metrics file written again', { path });
      failing = false;
    } catch (err) {
      if (!failing) log.warn('cannot write the metrics file', { path, error: describeError(err) });
      failing = true;
    }
  };
  return {
    write(s, lastRoundTripMs) {
      chain = chain.then(() => writeOne(s, lastRoundTripMs));
    },
    settled: () => chain,
  };
}

export type { Serialization };
