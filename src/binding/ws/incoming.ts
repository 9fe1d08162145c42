/**
 * What the peer sends us. A message becomes a primitive (TS-0020 6: one primitive per message,
 * `oneM2M.cbor` in binary frames (opcode 0x2), `oneM2M.json` / `oneM2M.xml` in text frames (opcode
 * 0x1)). We are liberal where it is safe: on a CBOR link a text frame holding JSON is decoded as
 * JSON (ACME sends notifications that way). Anything else a frame type cannot carry is an error
 * (close 1003). A request becomes the response to send back: the handler's answer as is; a
 * handler that throws, rejects or returns no response yields 5000 INTERNAL_SERVER_ERROR, and
 * without a handler the node answers 5001 NOT_IMPLEMENTED (TS-0004 6.6.3). Never throws: nothing
 * the peer sends may crash the agent. The sending side (`encodeFrame`) is in connection.ts,
 * beside `ws.send`.
 */
import type WebSocket from 'ws';
import { jsonCodec, type Codec } from '../../codec/index.js';
import { Rsc } from '../../protocol/codes.js';
import {
  errorResponse,
  type Primitive,
  type RequestPrimitive,
  type ResponsePrimitive,
} from '../../protocol/primitive.js';
import { describeError, messageOf } from '../../util/errors.js';
import { WsFrameTypeError, WsMessageMalformedError, type WsError } from './errors.js';
import type { Logger } from '../../util/log.js';
import type { RequestHandler } from './types.js';

/** What came of decoding one incoming message. */
export type DecodedFrame =
  | { readonly ok: true; readonly primitive: Primitive; readonly bytes: number }
  | {
      readonly ok: false;
      readonly bytes: number;
      readonly error: WsError;
      /** The request identifier, when it could be recovered (then a 4000 response is possible). */
      readonly rqi: string | undefined;
      /** RFC 6455 7.4.1: 1003 wrong data type, 1007 data inconsistent with the message type. */
      readonly closeCode: 1003 | 1007;
    };

/** Decodes one message (`ws` has already reassembled fragments and checked UTF-8 of text). */
export function decodeFrame(
  codec: Codec,
  subprotocol: string,
  raw: WebSocket.RawData,
  isBinary: boolean,
): DecodedFrame {
  const data = toBuffer(raw);
  const bytes = data.length;
  const frame = isBinary ? 'binary' : 'text';
  let use: Codec;
  if (frame === codec.frame) use = codec;
  else if (codec.frame === 'binary' && frame === 'text') use = jsonCodec;
  else
    return {
      ok: false,
      bytes,
      error: new WsFrameTypeError(frame, subprotocol),
      rqi: undefined,
      closeCode: 1003,
    };
  try {
    const primitive = use.decode(use.frame === 'text' ? data.toString('utf8') : data);
    return { ok: true, primitive, bytes };
  } catch (err) {
    const rqi = rqiOf(err) ?? (use.frame === 'text' ? recoverRqiFromText(data.toString('utf8')) : undefined);
    const detail = messageOf(err);
    // The codec's own error (CODEC_MALFORMED, PRIMITIVE_INVALID) stays reachable as the cause.
    return { ok: false, bytes, error: new WsMessageMalformedError(rqi, detail, err), rqi, closeCode: 1007 };
  }
}

/** Best effort, for text that failed to decode: `"rqi":"..."` (JSON) or `<rqi>...</rqi>` (XML). */
export function recoverRqiFromText(text: string): string | undefined {
  const m = /"rqi"\s*:\s*"((?:[^"\\]|\\.){1,256})"/.exec(text) ?? /<rqi>([^<]{1,256})<\/rqi>/.exec(text);
  return m?.[1];
}

function rqiOf(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('rqi' in err)) return undefined;
  const rqi = err.rqi;
  return typeof rqi === 'string' ? rqi : undefined;
}

function toBuffer(data: WebSocket.RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

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
