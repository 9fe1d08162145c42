/**
 * Re-registering with a registrar that has just come back: it may accept the connection before it
 * can serve a registration (ACME serves its WebSocket before its CSEBase exists: 4004 on the
 * CSEBase; a 5xxx while its database comes up). Such a retryable refusal is tried again a few
 * times after short pauses on the same connection; anything else, or the last attempt's failure,
 * goes to the caller (whose own, slower limits apply then).
 */
import type { Connection } from '../binding/ws/types.js';
import { rscLabel } from '../protocol/codes.js';
import type { Clock } from '../util/clock.js';
import type { Logger } from '../util/log.js';
import { RegistrationError } from './errors.js';

/** Pauses between attempts (ms); their count bounds the attempts. */
export const REREGISTER_PAUSES_MS: readonly number[] = [1_000, 2_000, 4_000];

/** Runs `attempt` until it resolves, retrying a retryable `RegistrationError` after each pause. */
export async function whenRegistrarReady<T>(
  conn: Connection,
  attempt: () => Promise<T>,
  o: { readonly clock: Clock; readonly logger: Logger; readonly pausesMs?: readonly number[] },
): Promise<T> {
  const pauses = o.pausesMs ?? REREGISTER_PAUSES_MS;
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (err) {
      const pause = pauses[i];
      if (!(err instanceof RegistrationError) || !err.retryable || pause === undefined || !conn.isOpen)
        throw err;
      o.logger.info('the registrar cannot take our registration yet; trying again shortly', {
        rsc: rscLabel(err.rsc),
        retryInMs: pause,
      });
      await new Promise<void>((resolve) => {
        const t = o.clock.setTimeout(resolve, pause);
        void conn.closed.then(() => {
          o.clock.clearTimeout(t);
          resolve();
        });
      });
    }
  }
}
