/** Typed events of the CSE (Node's generic `EventEmitter`), for the demo, the registrar and tests. */
import type { RequestPrimitive, ResponsePrimitive } from '../protocol/primitive.js';

/** A resource was created, updated or deleted. */
export interface ResourceEvent {
  readonly kind: 'created' | 'updated' | 'deleted';
  readonly ty: number;
  readonly ri: string;
  /** Structured CSE-relative address, `cse-in/myAE/temp/cin123`. */
  readonly path: string;
  /** The resource as it goes on the wire (without the `m2m:` wrapper). */
  readonly resource: Readonly<Record<string, unknown>>;
  /** Originator of the request that caused it (undefined for expiry and eviction). */
  readonly originator: string | undefined;
}

/** How a notification (or verification request) ended. */
export type DeliveryOutcome =
  /** Sent and answered; `response` holds the answer. */
  | 'delivered'
  /** The target is not connected; kept and sent when it reconnects. */
  | 'queued'
  /** Not sent and not kept (`reason` says why: no connection, URL target, quirk, timeout...). */
  | 'undeliverable';

export interface Delivery {
  readonly outcome: DeliveryOutcome;
  readonly response?: ResponsePrimitive;
  readonly reason?: string;
}

/** A NOTIFY the CSE sent or tried to send. `late` marks one delivered from the queue after a reconnect. */
export interface NotificationEvent {
  readonly target: string;
  readonly request: RequestPrimitive;
  readonly delivery: Delivery;
  readonly late?: boolean;
}

/** An originator was bound to a connection (registration, or first request after a reconnect). */
export interface AttachEvent {
  readonly originator: string;
  readonly connectionId: string;
}

export interface CseEvents {
  resource: [ResourceEvent];
  notification: [NotificationEvent];
  attached: [AttachEvent];
}
