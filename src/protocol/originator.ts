/**
 * Originator identities in the forms TS-0001 7.2 (table 7.2-1) allows, normalised so that two
 * spellings of one identity compare equal and nothing else does:
 * - absolute `//sp/id-in`, `//sp/id-in/Cadmin`, `//sp/Sfleet`: the SP-ID is kept, and equals ours
 *   only if it is known (`registrar.spId`) and matches: an unknown SP is never ours;
 * - SP-relative `/id-in`, `/id-in/Cadmin`, `Sfleet` (or `/Sfleet`): our SP;
 * - CSE-relative `Cadmin`: a C-stem AE-ID is assigned by the registrar, so it is `/id-in/Cadmin`;
 *   a bare `id-in` (neither C nor S, so no AE-ID) is taken as the CSE-ID without its slash.
 * Anything else (empty segments, more than CSE-ID and AE-ID, whitespace) is malformed.
 */

/** An originator's identity after normalisation. `sp` undefined: our own SP. */
export interface OriginatorId {
  readonly sp: string | undefined;
  /** `[cseId]`, `[cseId, C-stem]` or `[S-stem]` (an S-stem AE-ID is SP-wide). */
  readonly path: readonly string[];
}

/** What normalisation needs: the registrar's SP-relative CSE-ID and, if known, our SP-ID. */
export interface OriginatorContext {
  /** `/id-in`: C-stems are qualified with it. */
  readonly registrarCseId: string;
  /** Our SP-ID (`acme.example.com`, with or without `//`); absolute originators are compared to it. */
  readonly spId?: string;
}

const SEGMENT = /^[^/\s]+$/;

/** `//sp.example` or `sp.example` as a lower-case domain (SP-IDs are domain names, TS-0001 7.2). */
export function normaliseSpId(spId: string): string {
  return (spId.startsWith('//') ? spId.slice(2) : spId).toLowerCase();
}

/** Parses `fr` in any TS-0001 form; undefined when it is malformed (and so never trusted). */
export function parseOriginator(fr: string, ctx: OriginatorContext): OriginatorId | undefined {
  let sp: string | undefined;
  let rest: string;
  if (fr.startsWith('//')) {
    const slash = fr.indexOf('/', 2);
    if (slash < 0) return undefined;
    const given = fr.slice(2, slash).toLowerCase();
    if (!SEGMENT.test(given)) return undefined;
    sp = ctx.spId !== undefined && normaliseSpId(ctx.spId) === given ? undefined : given;
    rest = fr.slice(slash + 1);
  } else if (fr.startsWith('/')) {
    rest = fr.slice(1);
  } else {
    // CSE-relative: a C-stem belongs to the registrar that assigned it.
    if (!SEGMENT.test(fr)) return undefined;
    if (fr.startsWith('C')) return { sp: undefined, path: [...cseSegments(ctx.registrarCseId), fr] };
    return { sp: undefined, path: [fr] };
  }
  const path = rest.split('/');
  if (path.length < 1 || path.length > 2 || !path.every((s) => SEGMENT.test(s))) return undefined;
  return { sp, path };
}

function cseSegments(cseId: string): string[] {
  return cseId.replace(/^\/+/, '').split('/');
}

/** One string per identity: SP-relative for our SP (`/id-in/Cadmin`), absolute for another. */
export function formatOriginator(id: OriginatorId): string {
  return `${id.sp === undefined ? '' : `//${id.sp}`}/${id.path.join('/')}`;
}

/** `fr` in its canonical form (see {@link formatOriginator}); undefined when malformed. */
export function canonicalOriginator(fr: string, registrarCseId: string, spId?: string): string | undefined {
  const id = parseOriginator(fr, { registrarCseId, ...(spId === undefined ? {} : { spId }) });
  return id === undefined ? undefined : formatOriginator(id);
}
