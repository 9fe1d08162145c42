/**
 * A linear pre-scan of JSON text for nesting depth and value count, run before `JSON.parse` on
 * anything from outside. `JSON.parse` itself is linear and does not recurse (V8), but what it
 * builds is used by recursive code (validation, logging, `JSON.stringify`) and can cost ~50 times
 * the text in memory (`[{},{},...]`). Not a validator: `JSON.parse` still decides what is JSON.
 */
export interface JsonBounds {
  /** Deepest nesting of arrays/objects (the root counting as 1). */
  readonly maxDepth: number;
  /** Most values in the text (containers plus separators: an upper bound on elements). */
  readonly maxItems: number;
}

/** Why `text` is outside `bounds` (`{ limit, message }`), or undefined when it fits. */
export function jsonBoundsProblem(
  text: string,
  bounds: JsonBounds,
): { limit: 'depth' | 'items'; message: string } | undefined {
  let depth = 0;
  let items = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: the next character is escaped
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      // [ {
      if (++depth > bounds.maxDepth)
        return { limit: 'depth', message: `nested deeper than ${bounds.maxDepth} levels` };
      items++;
    } else if (c === 0x5d || c === 0x7d) depth--;
    else if (c === 0x2c) items++;
    else continue;
    if (items > bounds.maxItems) return { limit: 'items', message: `more than ${bounds.maxItems} values` };
  }
  return undefined;
}
