/**
 * A linear pre-scan of XML text for element depth and count (elements plus attributes), run
 * before fast-xml-parser: its tree conversion and our `decodeParameters` recurse per level, and a
 * megabyte of `<a/>` would become a quarter of a million objects. Not a validator: comments,
 * CDATA and processing instructions are skipped whole, and anything unterminated ends the scan,
 * leaving the parser to refuse it.
 */
import type { DecodeLimits } from './limits.js';

/** Why `text` is outside `limits`, or undefined when it fits. */
export function xmlBoundsProblem(text: string, limits: DecodeLimits): string | undefined {
  let depth = 0;
  let items = 0;
  let i = text.indexOf('<');
  while (i >= 0 && i < text.length) {
    let end: number;
    if (text.startsWith('<!--', i)) end = endOf(text, '-->', i + 4);
    else if (text.startsWith('<![CDATA[', i)) end = endOf(text, ']]>', i + 9);
    else if (text.startsWith('<?', i)) end = endOf(text, '?>', i + 2);
    else if (text.startsWith('<!', i)) end = endOf(text, '>', i + 2);
    else if (text.startsWith('</', i)) {
      end = endOf(text, '>', i + 2);
      depth--;
    } else {
      const tag = startTag(text, i + 1);
      end = tag.end;
      items += 1 + tag.attributes;
      if (!tag.selfClosing && ++depth > limits.maxDepth)
        return `nested deeper than ${limits.maxDepth} levels`;
      if (items > limits.maxItems) return `more than ${limits.maxItems} elements and attributes`;
    }
    if (end < 0) return undefined;
    i = text.indexOf('<', end);
  }
  return undefined;
}

/** Index just past `marker` at or after `from`, or -1. */
function endOf(text: string, marker: string, from: number): number {
  const at = text.indexOf(marker, from);
  return at < 0 ? -1 : at + marker.length;
}

/** Scans a start tag from just after `<`: quoted attribute values may hold `>` and `/`. */
function startTag(text: string, from: number): { end: number; selfClosing: boolean; attributes: number } {
  let quote = 0;
  let attributes = 0;
  for (let j = from; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (quote !== 0) {
      if (c === quote) quote = 0;
    } else if (c === 0x22 || c === 0x27) quote = c;
    else if (c === 0x3d) attributes++;
    else if (c === 0x3e) return { end: j + 1, selfClosing: text.charCodeAt(j - 1) === 0x2f, attributes };
  }
  return { end: -1, selfClosing: false, attributes };
}
