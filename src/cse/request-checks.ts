/**
 * Checks every request passes before it reaches a resource (TS-0004 6.4.1, 7.3.x): release
 * version, parameter presence per operation, request expiry, response type; and the `rvi` the
 * response carries.
 */
import { Operation, RELEASE_VERSIONS, Rsc, ResponseType } from '../protocol/codes.js';
import type { RequestPrimitive } from '../protocol/primitive.js';
import { resolveAbsRel } from '../protocol/timestamp.js';
import { refuse } from './errors.js';
import type { Quirks } from './quirks.js';

/** Release answered when the request's own `rvi` cannot be echoed. */
export const DEFAULT_RVI = '3';

function known(rvi: string): boolean {
  return (RELEASE_VERSIONS as readonly string[]).includes(rvi);
}

/** `rvi` is mandatory from Release 2 on; a request without it is Release 1 (not supported): 4001. */
export function checkRelease(
  req: RequestPrimitive,
  quirks: Pick<Quirks, 'rejectMissingRvi' | 'acceptAnyRvi'>,
): void {
  if (req.rvi === undefined) {
    if (quirks.rejectMissingRvi)
      throw refuse(Rsc.RELEASE_VERSION_NOT_SUPPORTED, 'rvi is missing: Release-1 requests are not supported');
    return;
  }
  if (!quirks.acceptAnyRvi && !known(req.rvi))
    throw refuse(
      Rsc.RELEASE_VERSION_NOT_SUPPORTED,
      `release version ${req.rvi} is not supported (${RELEASE_VERSIONS.join(', ')})`,
    );
}

/**
 * Parameter rules: `ty` only in CREATE, no `fc` in CREATE, `pc` in CREATE/UPDATE/NOTIFY (4000);
 * a past `rqet` (4008); only blocking requests (non-blocking: 5206 / 5001).
 */
export function checkParameters(req: RequestPrimitive, nowMs: number): void {
  const isCreate = req.op === Operation.Create;
  if (req.ty !== undefined && !isCreate) throw refuse(Rsc.BAD_REQUEST, 'ty is only permitted in CREATE');
  if (req.fc !== undefined && isCreate) throw refuse(Rsc.BAD_REQUEST, 'fc is not permitted in CREATE');
  if (req.pc === undefined && (isCreate || req.op === Operation.Update || req.op === Operation.Notify))
    throw refuse(Rsc.BAD_REQUEST, 'pc (content) is mandatory in this operation');
  if (req.rqet !== undefined) {
    const at = resolveAbsRel(req.rqet, nowMs);
    if (at === undefined) throw refuse(Rsc.BAD_REQUEST, `rqet ${String(req.rqet)} is not a timestamp`);
    if (at < nowMs) throw refuse(Rsc.REQUEST_TIMEOUT, `the request expired at ${String(req.rqet)} (rqet)`);
  }
  if (req.rt !== undefined) {
    if (req.rt.nu !== undefined && req.rt.rtv !== ResponseType.NonBlockingAsynch)
      throw refuse(Rsc.BAD_REQUEST, 'rt.nu is only permitted with rtv 2');
    if (req.rt.rtv === ResponseType.NonBlockingSynch)
      throw refuse(
        Rsc.NON_BLOCKING_SYNCH_REQUEST_NOT_SUPPORTED,
        'non-blocking synchronous requests are not supported',
      );
    if (req.rt.rtv === ResponseType.NonBlockingAsynch)
      throw refuse(Rsc.NOT_IMPLEMENTED, 'non-blocking asynchronous requests are not implemented');
  }
}

/** The `rvi` of the response: the quirk's fixed value, else the request's if supported, else "3". */
export function responseRvi(
  req: RequestPrimitive,
  quirks: Pick<Quirks, 'responseRvi' | 'acceptAnyRvi'>,
): string {
  if (quirks.responseRvi !== undefined) return quirks.responseRvi;
  if (req.rvi === undefined) return DEFAULT_RVI;
  return quirks.acceptAnyRvi || known(req.rvi) ? req.rvi : DEFAULT_RVI;
}
