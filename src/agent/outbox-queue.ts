/**
 * The outbox as its two users see it: the uplink drains it (`UplinkQueue`), the agent appends
 * readings to it (`AgentOutbox`).
 */
import type { Outbox } from '../outbox/index.js';
import type { EventCategoryName } from '../protocol/codes.js';
import type { AgentOutbox } from './agent.js';
import type { AsnNode } from './asn/node.js';
import { encodeReadingValues, type ReadingRecord } from './reading-record.js';
import type { UplinkQueue } from './uplink.js';

/** The outbox as the uplink drains it. */
export function outboxQueue(outbox: Outbox): UplinkQueue {
  return {
    next: async (n, skip, skipStreams) => outbox.next(n, skip, skipStreams),
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
}

/** The outbox as the agent appends to it; in the ASN role readings pass through the local CSE. */
export function agentOutbox(outbox: Outbox, asn: AsnNode | undefined): AgentOutbox {
  return {
    append: async (record: ReadingRecord, ec: EventCategoryName) => {
      // ASN role: every reading is stored locally; only `push` devices also go upstream.
      if (asn && !(await asn.record(record))) return;
      // The device and the sampling stamp go in the record's header, the values in its payload.
      await outbox.append({
        stream: record.device,
        ec,
        payload: encodeReadingValues(record.values),
        sampledAt: record.sampledAt,
      });
    },
    hasImmediate: () => outbox.hasImmediate(),
    depth: () => outbox.stats().depth,
  };
}
