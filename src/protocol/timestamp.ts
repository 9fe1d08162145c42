/** oneM2M timestamps: `YYYYMMDDTHHMMSS` in UTC, optional fraction after a comma (TS-0004 6.3.4.2.x). */

const RE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:[,.](\d{1,6}))?Z?$/;

/** Formats epoch ms as a oneM2M timestamp with millisecond fraction (`20240131T235959,123`). */
export function toOneM2MTime(ms: number, withFraction = true): string {
  const d = new Date(ms);
  const p = (n: number, w = 2): string => String(n).padStart(w, '0');
  const base = `${p(d.getUTCFullYear(), 4)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}T${p(d.getUTCHours())}${p(
    d.getUTCMinutes(),
  )}${p(d.getUTCSeconds())}`;
  return withFraction ? `${base},${p(d.getUTCMilliseconds(), 3)}` : base;
}

/** Parses a oneM2M timestamp to epoch ms, or returns undefined if it is not one. */
export function parseOneM2MTime(s: string): number | undefined {
  const m = RE.exec(s);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac] = m;
  const ms = frac === undefined ? 0 : Math.floor(Number(frac.padEnd(6, '0')) / 1000);
  const f = [y, mo, d, h, mi, se].map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(f[0], f[1] - 1, f[2], f[3], f[4], f[5], ms);
  // Date.UTC rolls over (month 13, 30 February, hour 24) and maps years 0-99 to 19xx: refuse those.
  const back = new Date(t);
  const same = [
    back.getUTCFullYear(),
    back.getUTCMonth() + 1,
    back.getUTCDate(),
    back.getUTCHours(),
    back.getUTCMinutes(),
    back.getUTCSeconds(),
  ];
  return same.every((v, i) => v === f[i]) ? t : undefined;
}

/** Resolves an absRelTimestamp (timestamp, or relative ms as number or digit string) to epoch ms. */
export function resolveAbsRel(v: string | number, nowMs: number): number | undefined {
  if (typeof v === 'number') return nowMs + v;
  if (/^-?\d+$/.test(v)) return nowMs + Number(v);
  return parseOneM2MTime(v);
}
