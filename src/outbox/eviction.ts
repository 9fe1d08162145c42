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

/**
 * Evicts for a newcomer of category `ec` on a full disk; undefined when nothing may go. A store
 * that can free real space (`reclaimSpace`) is asked category by category, so an `immediate`
 * newcomer takes `bestEffort` entries first; otherwise `batch` oldest evictable entries go.
 * `memo` remembers a refusal: asked again while nothing changed, it does not walk the index again.
 */
export async function evictForSpace(
  store: OutboxStore,
  ec: EventCategory,
  batch: number,
  inFlight: (id: number) => boolean,
  memo: { unreclaimable?: string },
): Promise<number | undefined> {
  if (!store.reclaimSpace) {
    const victims = pickVictims(store, ec, inFlight, (count) => count >= batch).ids;
    return victims.length === 0 ? undefined : store.remove(victims, 'evicted');
  }
  // Refused before and nothing changed since: do not walk the index again for every reading.
  const s = store.stats();
  const stamp = `${ec}:${s.depth}:${s.bytes}`;
  if (stamp === memo.unreclaimable) return undefined;
  const allowed = EVICTABLE[ec];
  for (let k = 1; k <= allowed.length; k++) {
    const may = new Set(allowed.slice(0, k));
    const n = await store.reclaimSpace((id, cls) => may.has(cls) && !inFlight(id));
    if (n !== undefined) return n;
  }
  memo.unreclaimable = stamp;
  return undefined;
}
