/**
 * Who may send us requests: the registrar's CSE-ID and the configured `trustedOriginators`.
 * Originators are compared without a single leading slash, so `/id-in` and `id-in` are the same CSE.
 */
export class TrustPolicy {
  private readonly trusted: ReadonlySet<string>;
  constructor(registrarCseId: string, trustedOriginators: readonly string[]) {
    this.trusted = new Set([registrarCseId, ...trustedOriginators].map(normalizeOriginator));
  }
  isTrusted(fr: string | undefined): boolean {
    return fr !== undefined && this.trusted.has(normalizeOriginator(fr));
  }
}

/** Drops one leading `/` (not `//`): `/id-in` and `id-in` name the same CSE, `/Sxyz` and `Sxyz` the same AE. */
export function normalizeOriginator(fr: string): string {
  return fr.startsWith('/') && !fr.startsWith('//') ? fr.slice(1) : fr;
}
