/**
 * The composition root: the only place (with `cli/`) that picks concrete classes. Builds a running
 * agent from a validated configuration.
 */
import { connect as wsConnect } from './binding/ws/index.js';
import type { Connect, Connection, FrameObserver } from './binding/ws/types.js';
import type { Serialization } from './codec/subprotocol.js';
import type { AgentConfig } from './config/types.js';
import { exponentialBackoff } from './util/backoff.js';
import { Link } from './connectivity/link.js';
import { parseSchedule } from './connectivity/schedule.js';
import type { DriverEnv } from './drivers/registry.js';
import { FileOutboxStore, Outbox, type OutboxStore } from './outbox/index.js';
import { Agent } from './agent/agent.js';
import type { AsnNode } from './agent/asn/node.js';
import type { AsnRegistration } from './agent/asn/registration.js';
import { contentSerializations, createConnector } from './agent/connector.js';
import { RunnerDevice } from './agent/runner-device.js';
import { FrameSpacing } from './agent/frame-spacing.js';
import { createInboundHandler } from './agent/inbound.js';
import { createNodeRole } from './agent/node-role.js';
import { agentOutbox, outboxQueue } from './agent/outbox-queue.js';
import { Registration } from './agent/registration.js';
import { createRqiGenerator } from './agent/rqi.js';
import { prepareStateDir } from './agent/state-dir.js';
import { lockStateDir } from './agent/state-lock.js';
import type { StatusSnapshot } from './agent/status.js';
import { createStatusReporting } from './agent/status-reporting.js';
import { loadTls } from './agent/tls-files.js';
import { TrustPolicy } from './agent/trust.js';
import { Uplink } from './agent/uplink.js';
import { Management } from './agent/management.js';
import { agentVersion } from './config/schemas.js';
import { uptime } from 'node:os';
import { COMMAND_CONTAINER_NAME, COMMAND_SUBSCRIPTION_NAME } from './agent/resources.js';
import { bootClock, correctedWallMs, readBootId } from './util/clock-jump.js';
import type { Clock } from './util/clock.js';
import type { Logger } from './util/log.js';
import type { ActuatorCommand, Reading } from './drivers/types.js';
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
  /** Root of /proc, /sys and /etc for the board facts the agent publishes (tests: a fake tree). */
  readonly sysRoot?: string;
  /**
   * The registrar asked for a restart (UPDATE of the reboot object): `m2m-agent run` stops cleanly
   * and exits so that systemd starts it again. Without it the request is only logged.
   */
  readonly onRestartRequested?: () => void;
  /**
   * A configuration patch arrived in our `config` container (its `con`); `m2m-agent run` validates
   * and applies it. Without it, no `config` container is created.
   */
  readonly onConfigPatch?: (con: unknown) => void;
  /** The outcome of the last patch, published in `config-status` (JSON text). */
  readonly configStatus?: () => string | undefined;
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly link: Link;
  readonly outbox: Outbox;
  readonly registration: Registration | AsnRegistration;
  /** The ASN role's own CSE and routed-request handler; undefined in the ADN role. */
  readonly asn?: AsnNode;
  snapshot(): StatusSnapshot;
  /** A new configuration status is to be published now. */
  configStatusChanged(): void;
  /** Stops devices, closes the link (1001), flushes the outbox and the status file. */
  stop(): Promise<void>;
}

export async function startAgent(config: AgentConfig, o: StartOptions): Promise<RunningAgent> {
  const clock = o.clock ?? bootClock;
  const log = o.logger;
  await prepareStateDir(config.stateDir, log);
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
  // `csz` of the registration; none where the registrar cannot take it (Mobius: 5000 on any csz).
  const cszOf = (conn: Connection): readonly string[] =>
    compat.sendCsz
      ? contentSerializations(serializationOf(conn.subprotocol) ?? 'json', config.serializations)
      : [];

  const ref: { agent?: Agent } = {};
  const actuate = async (device: string, cmd: ActuatorCommand): Promise<void> => {
    if (!ref.agent) throw new Error('agent not started');
    link.touch();
    await ref.agent.actuate(device, cmd);
  };
  const { registration, asn, identityStore } = await createNodeRole(config, {
    rqi,
    clock,
    logger: log,
    actuate,
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

  const uplink = new Uplink({
    queue: outboxQueue(outbox),
    rvi: config.releaseVersion,
    rqi,
    aeId: () => registration.aeId,
    aePath: () => registration.aePath,
    containerPath: (device) => registration.pathOf(device),
    contentFormat: (device) =>
      config.devices.find((d) => d.name === device)?.contentFormat ?? config.contentFormat,
    idempotentNames: config.buffer.idempotentNames,
    maxInFlight: compat.maxInFlight,
    requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
    correctedTime: (p) =>
      correctedWallMs({ wallMs: p.timeMs, monoMs: p.monoMs, bootId: p.bootId }, outbox.now()),
    recover: async (conn) => {
      await registration.recover(conn, cszOf(conn));
    },
    clock,
    logger: log.child({ component: 'uplink' }),
    onDelivered: () => {
      status.roundTrip();
      link.touch();
      status.changed();
    },
    onQuarantined: () => {
      status.changed();
    },
  });

  const trust = new TrustPolicy(config.registrar.cseId, config.trustedOriginators, config.registrar.spId);
  const actuators = config.devices.filter((d) => d.kind === 'actuator').map((d) => d.name);
  // The reboot object is served in the ADN role where the registrar notifies over the link.
  const rebootByRegistrar =
    config.management.enabled && !asn && config.registrar.compat.notificationsOverLink;
  const remoteConfig = rebootByRegistrar && config.management.remoteConfig.enabled;
  const inbound = createInboundHandler({
    trust,
    actuators,
    resourceIdsOf: (device) => {
      const r = registration.current()?.resources ?? {};
      const cmd = `${device}/${COMMAND_CONTAINER_NAME}`;
      return [r[`${cmd}/${COMMAND_SUBSCRIPTION_NAME}`], r[cmd]].filter((x): x is string => x !== undefined);
    },
    actuate,
    logger: log.child({ component: 'inbound' }),
    ...(rebootByRegistrar
      ? {
          reboot: {
            subscriptionRi: () => registration.note('mgmt:rebootSub') || undefined,
            restart: () => o.onRestartRequested?.(),
            forget: () => void registration.setNote('mgmt:rebootSub', ''),
          },
        }
      : {}),
    ...(remoteConfig && o.onConfigPatch
      ? {
          config: {
            subscriptionRi: () => registration.note('mgmt:configSub') || undefined,
            patch: o.onConfigPatch,
            forget: () => void registration.setNote('mgmt:configSub', ''),
          },
        }
      : {}),
    onSubscriptionDeleted: (device) => {
      if (device === undefined || !(registration instanceof Registration)) return;
      void registration
        .forgetResource(`${device}/${COMMAND_CONTAINER_NAME}/${COMMAND_SUBSCRIPTION_NAME}`)
        .then(() => ref.agent?.resync());
    },
  });

  const tls = await loadTls(config.registrar);
  const spacing = new FrameSpacing(compat.minFrameGapMs, clock);
  const dial = o.connect ?? wsConnect;
  const connector = createConnector({
    connect: async (opts) => spacing.wrapConnection(await dial(opts)),
    base: {
      url: config.registrar.url,
      ...(tls ? { tls } : {}),
      ...(config.registrar.proxy === undefined ? {} : { proxy: config.registrar.proxy }),
      compression: config.link.compression,
      pingIntervalMs: config.link.pingIntervalSeconds * 1000,
      pongTimeoutMs: config.link.pongTimeoutSeconds * 1000,
      requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
      onRequest: spacing.wrapHandler(asn?.onRequest ?? inbound),
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

  const startMs = clock.nowMs();
  const management = config.management.enabled
    ? new Management({
        role: config.node.role,
        cseBase: config.registrar.cseName,
        name: config.node.name,
        agentVersion: agentVersion(),
        releaseVersion: config.releaseVersion,
        updateMs: config.management.updateSeconds * 1000,
        aePath: () => registration.aePath,
        aeId: () => registration.aeId,
        note: (key) => registration.note(key),
        setNote: (key, value) => registration.setNote(key, value),
        health: () => {
          const s = outbox.stats();
          return {
            outboxDepth: s.depth,
            outboxOldestAgeSeconds: s.oldestAgeSeconds ?? 0,
            reconnects: link.stats().reconnects,
            sensorErrors: devices.reduce((n, d) => n + d.status().errors, 0),
            bootMs: clock.nowMs() - uptime() * 1000,
            startMs,
            nowMs: clock.nowMs(),
          };
        },
        rqi,
        clock,
        logger: log.child({ component: 'management' }),
        requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
        ...(o.sysRoot === undefined ? {} : { root: o.sysRoot }),
        reboot: rebootByRegistrar,
        ...(remoteConfig && o.onConfigPatch && o.configStatus ? { configStatus: o.configStatus } : {}),
      })
    : undefined;
  const agent = new Agent({
    config,
    devices,
    outbox: agentOutbox(outbox, bootId, asn),
    registration,
    uplink,
    link,
    clock,
    bootId,
    logger: log,
    csz: cszOf,
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
    ...(management ? { management } : {}),
    onReading: (device, readings) => {
      status.changed();
      o.onReading?.(device, readings);
    },
  });
  ref.agent = agent;

  const status = createStatusReporting({ config, outbox, link, registration, devices, clock, logger: log });

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
    snapshot: status.snapshot,
    configStatusChanged: () => management?.kick(),
    stop: () =>
      (stopping ??= (async () => {
        clearInterval(expiryTimer);
        await agent.stop();
        await status.flush();
        await status.settled();
        await outbox.close();
        await identityStore.close();
        await unlock();
      })()),
  };
}

export type { Serialization };
