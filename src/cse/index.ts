/** The in-memory CSE and the development registrar (public surface of `src/cse`). */
export { Cse, type CseOptions } from './cse.js';
export type { RequestContext } from './context.js';
export type {
  AttachEvent,
  CseEvents,
  Delivery,
  DeliveryOutcome,
  NotificationEvent,
  ResourceEvent,
} from './events.js';
export type { NotificationSink } from './notifier.js';
export type { RegistrarRecord } from './remote-cse.js';
export {
  ACME_QUIRKS,
  isImitation,
  MOBIUS_QUIRKS,
  resolveQuirks,
  STANDARD_QUIRKS,
  type Imitation,
  type PipeliningBehaviour,
  type Quirks,
  type SubprotocolSelection,
} from './quirks.js';
export type {
  BadFrameEvent,
  ConnectionInfo,
  DisconnectionEvent,
  PrimitiveEvent,
  QuirkEvent,
  RegistrarEvents,
} from './registrar-events.js';
export { Registrar } from './registrar.js';
export { startRegistrar, type RegistrarOptions, type RegistrarTlsOptions } from './server.js';
export { RegistrarStartError } from './errors.js';
export { chooseSubprotocol, offeredSubprotocols } from './subprotocol-choice.js';
