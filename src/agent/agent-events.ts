/**
 * Notifications that run against the build order: a part built early announces, a part built
 * after it listens (the composition root subscribes right after building the listener). Only
 * fire-and-forget notices go here; anything whose result matters is passed as a part.
 */
export type AgentEvent =
  /** Something `status` shows changed (link state, expiry): rewrite the status file soon. */
  | 'statusChanged'
  /** The registrar sent us a command: the link is in use (keeps an idle-closing link open). */
  | 'registrarActive'
  /** The registrar deleted our command subscription (`sud`): recreate it on the open connection. */
  | 'resourcesLost';

/** A small typed emitter; listeners run synchronously, in the order they were added. */
export class AgentEvents {
  private readonly listeners = new Map<AgentEvent, (() => void)[]>();

  on(event: AgentEvent, listener: () => void): void {
    const list = this.listeners.get(event) ?? [];
    list.push(listener);
    this.listeners.set(event, list);
  }

  emit(event: AgentEvent): void {
    for (const listener of this.listeners.get(event) ?? []) listener();
  }
}
