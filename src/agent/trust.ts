/**
 * Who may send us requests: the registrar's CSE and the configured `trustedOriginators`. An
 * originator matches only if its whole identity does (SP-ID, CSE-ID, AE-ID), after the
 * normalisation of `protocol/originator.ts`: `//evil.example/id-in` is not the registrar `/id-in`.
 * The same policy serves notifications (ADN), routed requests (ASN) and any later request kind.
 */
import { canonicalOriginator, type OriginatorContext } from '../protocol/originator.js';

export { canonicalOriginator, parseOriginator, type OriginatorContext } from '../protocol/originator.js';

/** The trust decision for every inbound request kind (notifications, routed requests, management). */
export class TrustPolicy {
  private readonly trusted: ReadonlySet<string>;
  private readonly registrar: string | undefined;
  private readonly ctx: OriginatorContext;
  constructor(registrarCseId: string, trustedOriginators: readonly string[], spId?: string) {
    this.ctx = { registrarCseId, ...(spId === undefined ? {} : { spId }) };
    this.registrar = this.canonical(registrarCseId);
    this.trusted = new Set(
      [registrarCseId, ...trustedOriginators]
        .map((t) => this.canonical(t))
        .filter((t): t is string => t !== undefined),
    );
  }

  /** The canonical form of `fr` (undefined: malformed), as stored for resource ownership. */
  canonical(fr: string): string | undefined {
    return canonicalOriginator(fr, this.ctx.registrarCseId, this.ctx.spId);
  }

  /** True when `fr` is the registrar's CSE or a configured trusted originator. */
  isTrusted(fr: string | undefined): boolean {
    const c = fr === undefined ? undefined : this.canonical(fr);
    return c !== undefined && this.trusted.has(c);
  }

  /** True only for the registrar's own CSE (in any form naming our SP): for requests only it may send. */
  isRegistrar(fr: string | undefined): boolean {
    const c = fr === undefined ? undefined : this.canonical(fr);
    return c !== undefined && c === this.registrar;
  }
}
