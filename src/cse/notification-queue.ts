/**
 * Notifications kept for registrees that are not connected (TS-0020 leaves this to the registrar:
 * "a NOTIFY for a disconnected client should be stored and sent when it reconnects"). Bounded per
 * target: when full, the oldest is dropped, so a long-gone AE cannot grow memory without limit.
 */
import type { RequestPrimitive } from '../protocol/primitive.js';

export class NotificationQueue {
  private readonly byTarget = new Map<string, RequestPrimitive[]>();

  constructor(
    /** Most notifications kept per target. */
    readonly maxPerTarget: number,
  ) {}

  /** Keeps `req` for `target`; returns the notification dropped to make room, if any. */
  push(target: string, req: RequestPrimitive): RequestPrimitive | undefined {
    if (this.maxPerTarget <= 0) return req;
    let list = this.byTarget.get(target);
    if (!list) this.byTarget.set(target, (list = []));
    list.push(req);
    return list.length > this.maxPerTarget ? list.shift() : undefined;
  }

  /** Takes every notification kept for `target`, oldest first. */
  take(target: string): RequestPrimitive[] {
    const list = this.byTarget.get(target) ?? [];
    this.byTarget.delete(target);
    return list;
  }

  /** Number kept for `target`, or in total. */
  size(target?: string): number {
    if (target !== undefined) return this.byTarget.get(target)?.length ?? 0;
    let n = 0;
    for (const l of this.byTarget.values()) n += l.length;
    return n;
  }

  /** Forgets a target (deregistered). */
  drop(target: string): void {
    this.byTarget.delete(target);
  }
}
