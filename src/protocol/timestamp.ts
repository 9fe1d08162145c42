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
  const t = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(se), ms);
  return Number.isNaN(t) ? undefined : t;
}

/** Resolves an absRelTimestamp (timestamp, or relative ms as number or digit string) to epoch ms. */
export function resolveAbsRel(v: string | number, nowMs: number): number | undefined {
  if (typeof v === 'number') return nowMs + v;
  if (/^-?\d+$/.test(v)) return nowMs + Number(v);
  return parseOneM2MTime(v);
}
