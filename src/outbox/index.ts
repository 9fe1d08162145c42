/** The outbox layer's public surface. */
export type {
  EventCategory,
  NewRecord,
  RecordMeta,
  StoredRecord,
  QuarantinedRecord,
  RemoveCause,
  RecordFilter,
  StoreStats,
  OutboxStore,
} from './store.js';
export { EVENT_CATEGORIES } from './store.js';
export {
  Outbox,
  type OutboxOptions,
  type OutboxInput,
  type OutboxEntry,
  type OutboxStats,
} from './outbox.js';
export { MemoryOutboxStore, type MemoryOutboxStoreOptions } from './memory-store.js';
export { FileOutboxStore, type FileOutboxStoreOptions } from './file-store.js';
export { nodeFileOps, type FileOps, type OpenFlags } from './file-ops.js';
export {
  OutboxFullError,
  OutboxNoSpaceError,
  OutboxDirError,
  OutboxIoError,
  OutboxRecordError,
  OutboxClosedError,
} from './errors.js';
