/** The WebSocket binding's public surface: `connect`, its contract and its named errors. */
export { connect, acceptFor } from './client.js';
export type * from './types.js';
export * from './errors.js';
