/**
 * A connection that is `conn` in every respect but how it sends requests: the shared shape of the
 * wrappers that pace or gate our requests (frame spacing, the in-flight gate).
 */
import type { Connection } from '../binding/ws/types.js';

export function withRequest(conn: Connection, request: Connection['request']): Connection {
  return {
    get subprotocol() {
      return conn.subprotocol;
    },
    get codec() {
      return conn.codec;
    },
    get serialization() {
      return conn.serialization;
    },
    get inFlight() {
      return conn.inFlight;
    },
    get isOpen() {
      return conn.isOpen;
    },
    get compression() {
      return conn.compression;
    },
    closed: conn.closed,
    close: (code, reason, graceMs) => conn.close(code, reason, graceMs),
    request,
  };
}
