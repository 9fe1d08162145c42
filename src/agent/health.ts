/**
 * The agent's own health as a SenML pack (RFC 8428), the `con` of each `<contentInstance>` in the
 * `health` container: outbox depth and oldest age, link reconnects, sensor errors, last boot.
 */
import type { SenmlRecord } from './reading-request.js';

export interface HealthSource {
  readonly outboxDepth: number;
  readonly outboxOldestAgeSeconds: number;
  readonly reconnects: number;
  /** Errors of all devices together since the agent started. */
  readonly sensorErrors: number;
  /** When the board booted and the agent started, epoch ms. */
  readonly bootMs: number;
  readonly startMs: number;
  /** Now, epoch ms (the pack's base time). */
  readonly nowMs: number;
}

/** One pack: base name `<node>:health:`, base time now; boot and start times as `vs` ISO strings. */
export function healthRecords(name: string, h: HealthSource): SenmlRecord[] {
  return [
    { bn: `${name}:health:`, bt: Math.round(h.nowMs / 1000), n: 'outboxDepth', v: h.outboxDepth },
    { n: 'outboxOldestAge', u: 's', v: Math.round(h.outboxOldestAgeSeconds) },
    { n: 'reconnects', v: h.reconnects },
    { n: 'sensorErrors', v: h.sensorErrors },
    { n: 'lastBoot', vs: new Date(roundToMinute(h.bootMs)).toISOString() },
    { n: 'agentStart', vs: new Date(h.startMs).toISOString() },
  ];
}

/** Boot time computed from the uptime wobbles by a second or so: round it so it compares equal. */
function roundToMinute(ms: number): number {
  return Math.round(ms / 60_000) * 60_000;
}
