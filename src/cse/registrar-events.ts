/** Events of the development registrar (a typed `EventEmitter`), for the demo, the CLI and tests. */
import type { Primitive } from '../protocol/primitive.js';
import type { NotificationEvent, ResourceEvent } from './events.js';

/** One primitive on the wire. */
export interface PrimitiveEvent {
  readonly direction: 'in' | 'out';
  readonly connectionId: string;
  /** `address:port` of the client. */
  readonly peer: string;
  readonly subprotocol: string;
  /** Payload bytes of the message. */
  readonly bytes: number;
  readonly primitive: Primitive;
}

/** A message that could not be used: answered 4000 (rqi recovered) or the connection closed. */
export interface BadFrameEvent {
  readonly connectionId: string;
  readonly peer: string;
  readonly bytes: number;
  readonly error: string;
  /** `answered` with 4000, `closed` (1003/1007), or `dropped` (a response nobody waits for). */
  readonly action: 'answered' | 'closed' | 'dropped';
}

/** An imitation quirk changed what happened to a primitive (pipelined request dropped, ...). */
export interface QuirkEvent {
  readonly connectionId: string;
  readonly quirk: string;
  readonly detail: string;
}

/** A client connection. */
export interface ConnectionInfo {
  readonly id: string;
  readonly peer: string;
  readonly subprotocol: string;
  /** `X-M2M-Origin` of the handshake, if sent. */
  readonly identifiedAs: string | undefined;
  /** Originators (AE-IDs, CSE-IDs) bound to it. */
  readonly originators: readonly string[];
  readonly openedAtMs: number;
  readonly received: number;
  readonly sent: number;
}

export interface DisconnectionEvent {
  readonly id: string;
  readonly peer: string;
  readonly code: number;
  readonly reason: string;
}

export interface RegistrarEvents {
  primitive: [PrimitiveEvent];
  resource: [ResourceEvent];
  notification: [NotificationEvent];
  connection: [ConnectionInfo];
  disconnection: [DisconnectionEvent];
  badFrame: [BadFrameEvent];
  quirk: [QuirkEvent];
}
