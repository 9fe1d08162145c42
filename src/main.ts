/**
 * The composition root: the only place (with `cli/`) that picks concrete classes. Builds a running
 * agent from a validated configuration.
 */
import { connect as wsConnect } from './binding/ws/index.js';
import type { Connect, FrameObserver, RequestHandler } from './binding/ws/types.js';
import type { Serialization } from './codec/subprotocol.js';
import type { AgentConfig } from './config/types.js';
import { exponentialBackoff } from './util/backoff.js';
import { Link } from './connectivity/link.js';
import { createDriver, type DriverEnv } from './drivers/registry.js';
import { DeviceRunner } from './drivers/device-runner.js';
import type { Device, Reading } from './drivers/types.js';
import { FileOutboxStore, Outbox, type OutboxStore } from './outbox/index.js';
import { Agent } from './agent/agent.js';
import { commandsFromRegistrar, createActuate } from './agent/actuators.js';
import { AgentEvents } from './agent/agent-events.js';
import type { AsnNode } from './agent/asn/node.js';
import type { AsnRegistration } from './agent/asn/registration.js';
import { createConnector } from './agent/connector.js';
import { FrameSpacing } from './agent/frame-spacing.js';
import { createInboundHandler } from './agent/inbound.js';
import { createNodeRole } from './agent/node-role.js';
import type { Registration } from './agent/registration.js';
import { createRqiGenerator } from './agent/rqi.js';
import { prepareStateDir } from './agent/state-dir.js';
import { lockStateDir } from './agent/state-lock.js';
import type { StatusSnapshot } from './agent/status.js';
import { createStatusReporting, type StatusReporting } from './agent/status-reporting.js';
import { Uplink } from './agent/uplink.js';
import { Management } from './agent/management.js';
import { agentParts } from './agent/compose/agent-parts.js';
import type { Core } from './agent/compose/core.js';
import { inboundOptions } from './agent/compose/inbound-options.js';
import { connectorOptions, linkOptions } from './agent/compose/link-options.js';
import { managementOptions, type ManagementParts } from './agent/compose/management-options.js';
import { nodeFeatures } from './agent/compose/node-features.js';
import { uplinkOptions } from './agent/compose/uplink-options.js';
import { agentVersion } from './config/schemas.js';
import { withNotifications } from './agent/asn/serve.js';
import { readBootId } from './util/clock-jump.js';
import { bootClock, type Clock } from './util/clock.js';
import type { Logger } from './util/log.js';

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

/**
 * Builds the parts in dependency order and starts them. Notices that run against that order (a
 * link state change for the status file, a command that keeps the link in use, a lost
 * subscription to recreate) go through `events`, subscribed right after their listener is built.
 */
export async function startAgent(config: AgentConfig, o: StartOptions): Promise<RunningAgent> {
  const { core, unlock } = await openCore(config, o);
  const { clock, logger: log, rqi, events } = core;
  const devices = config.devices.map((d) => createDevice(d, core, o.driverEnv));
  const actuate = createActuate(devices, log.child({ component: 'agent' }));
  const fromRegistrar = commandsFromRegistrar(actuate, events);
  const role = await createNodeRole(config, { rqi, clock, logger: log, actuate: fromRegistrar });
  const { registration, asn } = role;
  const features = nodeFeatures(config);
  const inbound = createInboundHandler(
    inboundOptions(core, { registration, features, actuate: fromRegistrar, hooks: o }),
  );
  const onRequest = asn ? withNotifications(asn.local.cse.cseId, inbound, asn.onRequest) : inbound;
  const { link, originSent } = await openLink(core, { onRequest, registration, dial: o.connect, hooks: o });
  events.on('registrarActive', link.touch.bind(link));
  const status = createStatusReporting({ ...core, link, registration, devices });
  events.on('statusChanged', status.changed);
  const uplink = new Uplink(uplinkOptions(core, { registration, features, link, status }));
  const management = createManagement(core, { registration, features, link, devices, hooks: o });
  const agent = new Agent(
    agentParts(core, {
      devices,
      actuate,
      registration,
      asn,
      features,
      uplink,
      link,
      management,
      status,
      originSent,
      onReading: o.onReading,
    }),
  );
  events.on('resourcesLost', agent.resync.bind(agent));
  const stopExpiry = await startExpiryChecks(core);
  await agent.start();
  await status.flush();
  const { identityStore } = role;
  return runningAgent(
    { agent, link, outbox: core.outbox, registration, asn, status, management },
    async () => {
      stopExpiry();
      await agent.stop();
      await status.flush();
      await status.settled();
      await core.outbox.close();
      await identityStore.close();
      await unlock();
    },
  );
}

/** The state directory (prepared and locked), the outbox in it, and what every part is built with. */
async function openCore(
  config: AgentConfig,
  o: StartOptions,
): Promise<{ core: Core; unlock: () => Promise<void> }> {
  const clock = o.clock ?? bootClock;
  await prepareStateDir(config.stateDir, o.logger);
  const unlock = await lockStateDir(config.stateDir);
  const bootId = readBootId();
  const store =
    o.store ??
    (await FileOutboxStore.open(`${config.stateDir}/outbox`, {
      fsyncIntervalMs: config.buffer.fsyncIntervalMs,
      logger: o.logger,
    }));
  const outbox = new Outbox(store, {
    maxBytes: config.buffer.maxBytes,
    maxAgeSeconds: config.buffer.maxAgeSeconds,
    clock,
    bootId,
    logger: o.logger,
  });
  const core = {
    config,
    clock,
    logger: o.logger,
    rqi: createRqiGenerator(),
    events: new AgentEvents(),
    outbox,
    bootId,
  };
  return { core, unlock };
}

/** A configured device: its model's driver (created at start) run by a `DeviceRunner`. */
function createDevice(
  c: AgentConfig['devices'][number],
  core: Core,
  driverEnv: StartOptions['driverEnv'],
): Device {
  const env: DriverEnv = {
    ...driverEnv,
    stateDir: core.config.stateDir,
    deviceName: c.name,
    readings: c.readings,
  };
  return new DeviceRunner({
    name: c.name,
    kind: c.kind,
    driver: () => createDriver(c.driver, c.params, env),
    ...(c.sample === undefined ? {} : { sample: c.sample }),
    ...(c.deadband === undefined ? {} : { deadband: c.deadband }),
    clock: core.clock,
    log: core.logger.child({ component: 'device' }),
  });
}

/** The connection to the registrar (spaced frames, the configured dialer) and the link manager over it. */
async function openLink(
  core: Core,
  p: {
    onRequest: RequestHandler;
    registration: Registration | AsnRegistration;
    dial: Connect | undefined;
    hooks: StartOptions;
  },
): Promise<{ link: Link; originSent: () => string | undefined }> {
  const { config, clock } = core;
  const spacing = new FrameSpacing(config.registrar.compat.minFrameGapMs, clock);
  const dial = p.dial ?? wsConnect;
  const connector = createConnector(await connectorOptions(core, { ...p, dial, spacing }));
  const backoff = exponentialBackoff({
    floorMs: config.link.backoffFloorMs,
    capMs: config.link.backoffCapMs,
  });
  const link = new Link(linkOptions(core, { connect: connector.connect, backoff }));
  return { link, originSent: connector.originSent };
}

/** Device management, when configured. */
function createManagement(core: Core, p: Omit<ManagementParts, 'agentVersion'>): Management | undefined {
  if (!core.config.management.enabled) return undefined;
  return new Management(managementOptions(core, { ...p, agentVersion: agentVersion() }));
}

/** Expiry is checked now and once a minute: cheap (an index walk), and no busy timer between windows. */
async function startExpiryChecks({ outbox, events }: Core): Promise<() => void> {
  const timer = setInterval(() => {
    void outbox.expireDue().then((n) => {
      if (n > 0) events.emit('statusChanged');
    });
  }, 60_000);
  timer.unref();
  await outbox.expireDue();
  return () => {
    clearInterval(timer);
  };
}

interface RunningParts {
  readonly agent: Agent;
  readonly link: Link;
  readonly outbox: Outbox;
  readonly registration: Registration | AsnRegistration;
  readonly asn: AsnNode | undefined;
  readonly status: StatusReporting;
  readonly management: Management | undefined;
}

/** The handle `m2m-agent run` holds; `stop` (in the order `stopInOrder` gives) runs once, however often it is called. */
function runningAgent(p: RunningParts, stopInOrder: () => Promise<void>): RunningAgent {
  let stopping: Promise<void> | undefined;
  return {
    agent: p.agent,
    link: p.link,
    outbox: p.outbox,
    registration: p.registration,
    ...(p.asn ? { asn: p.asn } : {}),
    snapshot: p.status.snapshot,
    configStatusChanged: () => p.management?.kick(),
    stop: () => (stopping ??= stopInOrder()),
  };
}

export type { Serialization };
