/**
 * Which entries make room for a new one. Oldest first, category by category: `bestEffort`, then
 * `latest`, then `immediate` (kept longest), and never a category above the newcomer's own, so
 * a routine reading cannot push out an alarm.
 */
import type { EventCategory, OutboxStore } from './store.js';

/** The categories an incoming entry may evict, in eviction order. */
export const EVICTABLE: Readonly<Record<EventCategory, readonly EventCategory[]>> = {
  bestEffort: ['bestEffort'],
  latest: ['bestEffort', 'latest'],
  immediate: ['bestEffort', 'latest', 'immediate'],
};

/**
 * Picks victims for a newcomer of category `ec`, skipping ids for which `keep` is true (in flight,
 * about to be replaced), until `enough(count, bytes)` holds or nothing is left. Removes nothing.
 */
export function pickVictims(
  store: Pick<OutboxStore, 'scan'>,
  ec: EventCategory,
  keep: (id: number) => boolean,
  enough: (count: number, bytes: number) => boolean,
): { ids: number[]; bytes: number } {
  const ids: number[] = [];
  let bytes = 0;
  for (const cls of EVICTABLE[ec]) {
    if (enough(ids.length, bytes)) break;
    store.scan(
      (m) => {
        if (!keep(m.id)) {
          ids.push(m.id);
          bytes += m.sizeBytes;
        }
        return !enough(ids.length, bytes);
      },
      { ec: cls },
    );
  }
  return { ids, bytes };
}
