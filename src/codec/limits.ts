/**
 * Bounds every incoming message must fit before a general-purpose decoder builds it. A frame is
 * already at most `maxMessageBytes` (1 MiB by default); these caps bound what the decoded value
 * costs beyond that (an array of 1 M empty maps is 1 MiB of CBOR but ~60 MB of objects) and keep
 * recursive code downstream (validation, logging, JSON.stringify) far from the stack limit.
 * A oneM2M primitive is a few levels deep (rqp > pc > m2m:cin > lbl); discovery answers with
 * thousands of URIs stay well under the item cap.
 */
export interface DecodeLimits {
  /** Deepest nesting of arrays/maps (objects/elements), the root counting as 1. */
  readonly maxDepth: number;
  /** Most values (array elements, map members, XML elements and attributes) in one message. */
  readonly maxItems: number;
}

export const DECODE_LIMITS: DecodeLimits = { maxDepth: 64, maxItems: 100_000 };
