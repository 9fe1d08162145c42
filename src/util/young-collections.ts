/**
 * A Map or Set that gains and loses entries all the time (one per reading) and lives as long as
 * the agent is rehashed by V8 every few changes (grow, shrink, purge of deleted slots). Once its
 * table has reached the old generation, each rehash, and each `clear()`, allocates the new table
 * there too, and the obsolete table keeps what it held alive until the next full collection: the
 * old space fills with garbage and V8 keeps the pages it grew (measured: RSS ~72 instead of ~65
 * MiB at 10 readings/s; README, Benchmarks). Starting over with a fresh collection when it is
 * empty (and instead of `clear()`) keeps its tables young, where they die cheaply.
 */
export function renewedIfEmpty<K, V>(c: Map<K, V>): Map<K, V>;
export function renewedIfEmpty<T>(c: Set<T>): Set<T>;
export function renewedIfEmpty(
  c: Map<unknown, unknown> | Set<unknown>,
): Map<unknown, unknown> | Set<unknown> {
  if (c.size > 0) return c;
  return c instanceof Map ? new Map() : new Set();
}
