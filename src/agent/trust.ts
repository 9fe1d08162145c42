/**
 * Who may send us requests: the registrar's CSE-ID and the configured `trustedOriginators`,
 * compared in canonical SP-relative form, so `id-in` and `/id-in` are the same CSE and a C-stem
 * `Cadmin` (CSE-relative, TS-0001 7.2) is the same AE as `/id-in/Cadmin`.
 */
export class TrustPolicy {
  private readonly trusted: ReadonlySet<string>;
  constructor(
    private readonly registrarCseId: string,
    trustedOriginators: readonly string[],
  ) {
    this.trusted = new Set([registrarCseId, ...trustedOriginators].map((t) => this.canonical(t)));
  }

  canonical(fr: string): string {
    return canonicalOriginator(fr, this.registrarCseId);
  }

  isTrusted(fr: string | undefined): boolean {
    return fr !== undefined && fr.trim() !== '' && this.trusted.has(this.canonical(fr));
  }
}

/**
 * The SP-relative form of an originator: an absolute id (`//sp/id-in`) loses its SP part, a C-stem
 * is qualified with the registrar that assigned it, anything else gets its single leading slash.
 */
export function canonicalOriginator(fr: string, registrarCseId: string): string {
  let s = fr;
  if (s.startsWith('//')) {
    const slash = s.indexOf('/', 2);
    s = slash < 0 ? s : s.slice(slash);
  }
  if (s.startsWith('/')) return s;
  if (s.startsWith('C')) return `${registrarCseId}/${s}`;
  return `/${s}`;
}
