/** JSON serialization (TS-0004 8.3): one object, short names, no m2m:rqp/m2m:rsp wrapper. */
import { validatePrimitive } from '../protocol/validate.js';
import type { Primitive } from '../protocol/primitive.js';
import type { Codec } from './codec.js';
import { jsonBoundsProblem } from '../util/json-bounds.js';
import { CodecLimitError, CodecMalformedError } from './errors.js';
import { DECODE_LIMITS } from './limits.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export const jsonCodec: Codec = {
  serialization: 'json',
  frame: 'text',
  mediaType: 'application/json',
  encode(p: Primitive): string {
    return JSON.stringify(p);
  },
  decode(data: string | Uint8Array): Primitive {
    let text: string;
    try {
      text = typeof data === 'string' ? data : decoder.decode(data);
    } catch (err) {
      throw new CodecMalformedError('json', 'message is not valid UTF-8', undefined, err);
    }
    // Bounded before parsing: see util/json-bounds.ts.
    const tooBig = jsonBoundsProblem(text, DECODE_LIMITS);
    if (tooBig) throw new CodecLimitError('json', tooBig.message, recoverRqi(text));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new CodecMalformedError('json', `not JSON (${(err as Error).message})`, recoverRqi(text), err);
    }
    return validatePrimitive(parsed);
  },
};

/** Best effort: find `"rqi":"..."` in broken text so the peer can still get a 4000 response. */
export function recoverRqi(text: string): string | undefined {
  return /"rqi"\s*:\s*"((?:[^"\\]|\\.){1,256})"/.exec(text)?.[1];
}
