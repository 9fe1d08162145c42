/** How the link is dialled and kept: the connector's options and the link manager's. */
import type { Connect, RequestHandler } from '../../binding/ws/types.js';
import type { LinkOptions } from '../../connectivity/link.js';
import { parseSchedule } from '../../connectivity/schedule.js';
import type { ConnectorOptions } from '../connector.js';
import type { AsnRegistration } from '../asn/registration.js';
import type { FrameSpacing } from '../frame-spacing.js';
import type { Registration } from '../registration.js';
import { loadTls } from '../tls-files.js';
import type { Core, StartHooks } from './core.js';

export interface ConnectorParts {
  readonly dial: Connect;
  readonly spacing: FrameSpacing;
  /** Serves the registrar's requests (NOTIFY, or the ASN's routed requests). */
  readonly onRequest: RequestHandler;
  readonly registration: Registration | AsnRegistration;
  readonly hooks: StartHooks;
}

export async function connectorOptions(c: Core, p: ConnectorParts): Promise<ConnectorOptions> {
  const { config, logger: log } = c;
  const tls = await loadTls(config.registrar);
  const { spacing, dial, hooks } = p;
  return {
    connect: async (opts) => spacing.wrapConnection(await dial(opts)),
    base: {
      url: config.registrar.url,
      ...(tls ? { tls } : {}),
      ...(config.registrar.proxy === undefined ? {} : { proxy: config.registrar.proxy }),
      compression: config.link.compression,
      pingIntervalMs: config.link.pingIntervalSeconds * 1000,
      pongTimeoutMs: config.link.pongTimeoutSeconds * 1000,
      requestTimeoutMs: config.link.requestTimeoutSeconds * 1000,
      onRequest: spacing.wrapHandler(p.onRequest),
      ...(hooks.onFrame ? { onFrame: hooks.onFrame } : {}),
      logger: log.child({ component: 'ws' }),
    },
    serializations: config.serializations,
    compat: config.registrar.compat,
    origin: () => p.registration.aeId ?? config.node.originator,
    logger: log.child({ component: 'link' }),
  };
}

export interface LinkParts {
  readonly connect: LinkOptions['connect'];
  readonly backoff: LinkOptions['backoff'];
}

/** The link manager's options; its session is given at `start` (by the agent). */
export function linkOptions(c: Core, p: LinkParts): LinkOptions {
  const { config, outbox } = c;
  const schedule = config.schedule ? parseSchedule(config.schedule) : undefined;
  return {
    connect: p.connect,
    ...(schedule ? { schedule } : {}),
    hasUrgentWork: () => outbox.hasImmediate(),
    hasWork: () => outbox.stats().depth > 0,
    backoff: p.backoff,
    clock: c.clock,
    logger: c.logger,
    closeGraceMs: config.link.closeGraceSeconds * 1000,
    idleCloseMs: config.link.idleCloseSeconds * 1000,
    // Outside windows the link opened for `immediate` work closes after this idle time too.
    ...(config.link.idleCloseSeconds > 0 ? { urgentLingerMs: config.link.idleCloseSeconds * 1000 } : {}),
    onStateChange: () => {
      c.events.emit('statusChanged');
    },
  };
}
