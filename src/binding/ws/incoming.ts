/**
 * Turns a request from the peer into the response to send back. The handler's answer goes back
 * as is; a handler that throws, rejects or returns no response yields 5000 INTERNAL_SERVER_ERROR,
 * and without a handler the node answers 5001 NOT_IMPLEMENTED (TS-0004 6.6.3). Never throws:
 * nothing the peer sends may crash the agent.
 */
import { Rsc } from '../../protocol/codes.js';
import { errorResponse, type RequestPrimitive, type ResponsePrimitive } from '../../protocol/primitive.js';
import { describeError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import type { RequestHandler } from './types.js';

/** The response to `req`: the handler's, or an error response carrying the same `rqi`/`rvi`. */
export async function answerRequest(
  handler: RequestHandler | undefined,
  req: RequestPrimitive,
  logger: Logger,
): Promise<ResponsePrimitive> {
  if (!handler) return errorResponse(req, Rsc.NOT_IMPLEMENTED, 'this node does not accept requests');
  try {
    const rsp: unknown = await handler(req);
    if (typeof rsp !== 'object' || rsp === null || typeof (rsp as { rsc?: unknown }).rsc !== 'number') {
      throw new TypeError('request handler returned no response primitive');
    }
    return rsp as ResponsePrimitive;
  } catch (err) {
    logger.error('request handler failed: answered 5000', {
      rqi: req.rqi,
      op: req.op,
      error: describeError(err),
    });
    return errorResponse(req, Rsc.INTERNAL_SERVER_ERROR, `request handler failed: ${describeError(err)}`);
  }
}
