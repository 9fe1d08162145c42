/**
 * At most `limit` requests of ours in flight on a connection, whoever sends them (the uplink and
 * device management share one link). ACME mishandles pipelined requests (`maxInFlight` 1 in the
 * `acme` preset); the uplink keeps to the limit by itself, the gate keeps it for everyone together.
 * Waiters are served in order; the request timeout starts once a request is actually sent.
 */
import type { Connection } from '../binding/ws/types.js';
import { withRequest } from './with-request.js';

export function limitInFlight(conn: Connection, limit: number): Connection {
  if (!Number.isFinite(limit) || limit < 1) return conn;
  let active = 0;
  const waiting: (() => void)[] = [];
  const request: Connection['request'] = async (req, opts) => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
    try {
      return await conn.request(req, opts);
    } finally {
      active--;
      waiting.shift()?.();
    }
  };
  return withRequest(conn, request);
}
