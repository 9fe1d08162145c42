/**
 * From fast-xml-parser's tree (text only) to the JSON data model. Only members that are numbers,
 * booleans or arrays in the data model are converted (`attributeKind`, `REQUEST_PARAMS`); all
 * other text stays a string, so `rqi "0001"` and `rvi "4"` survive as strings.
 */
import { attributeKind, type AttributeKind } from '../protocol/attributes.js';
import { REQUEST_PARAMS, RESPONSE_PARAMS, type ParamType } from '../protocol/parameters.js';
import { isPlainObject } from '../protocol/validate.js';

/** Prefix fast-xml-parser gives XML attributes (`ignoreAttributes: false`). */
export const ATTR_PREFIX = '@_';
/** Key of an element's text when it also has attributes or children. */
export const TEXT_KEY = '#text';

/** The XML does not have the shape of a primitive (e.g. mixed content). */
export class XmlShapeError extends Error {}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** XML 1.0 Char production (2.2): what a character reference may stand for. */
function isXmlChar(c: number): boolean {
  return (
    c === 0x9 ||
    c === 0xa ||
    c === 0xd ||
    (c >= 0x20 && c <= 0xd7ff) ||
    (c >= 0xe000 && c <= 0xfffd) ||
    (c >= 0x10000 && c <= 0x10ffff)
  );
}

/**
 * Replaces the five predefined entities and character references (XML 1.0 4.1, 4.6) in one pass,
 * so `&amp;#65;` stays the text `&#65;`. fast-xml-parser's own decoder skips character references
 * unless its deprecated `htmlEntities` is on, which would also accept HTML names.
 */
export const xmlEntityDecoder = {
  decode(text: string): string {
    return text.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|[A-Za-z][\w.-]*);/g, (_m, ref: string) => {
      if (!ref.startsWith('#')) {
        const named = PREDEFINED[ref];
        if (named === undefined) throw new XmlShapeError(`undefined entity &${ref};`);
        return named;
      }
      const code = ref.startsWith('#x') ? parseInt(ref.slice(2), 16) : parseInt(ref.slice(1), 10);
      if (!isXmlChar(code)) throw new XmlShapeError(`character reference &${ref}; is not an XML character`);
      return String.fromCodePoint(code);
    });
  },
  // The interface's other hooks serve DTD entities, which the codec refuses anyway.
  setExternalEntities(): void {},
  addInputEntities(): void {},
  reset(): void {},
  setXmlVersion(): void {},
};

const NUMERIC = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Kind of a top-level parameter: only numbers, booleans and lists need converting. */
function paramKind(t: ParamType | undefined): AttributeKind | undefined {
  if (t === 'number' || t === 'boolean') return t;
  return t === 'string[]' ? 'list' : undefined;
}

/** Whether `name` under `parent` must become an array (used as fast-xml-parser's `isArray`). */
export function isRepeated(parent: string, name: string): boolean {
  return attributeKind(parent, name) === 'repeated';
}

/** Like assignment, but a member named `__proto__` stays an own member (as with JSON.parse). */
function put(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

function ignoredAttribute(name: string): boolean {
  return name === 'xmlns' || name.startsWith('xmlns:') || name.startsWith('xsi:');
}

function toNumber(t: string): number | string {
  return NUMERIC.test(t) ? Number(t) : t;
}

/** Element text to a value of the given kind; liberal: text that does not fit stays a string. */
function leaf(text: string, kind: AttributeKind | undefined): unknown {
  const t = text.trim();
  switch (kind) {
    case 'number':
      return t === '' ? null : toNumber(t);
    case 'boolean':
      if (t === 'true' || t === '1') return true;
      if (t === 'false' || t === '0') return false;
      return t === '' ? null : text;
    case 'list':
      return t === '' ? [] : t.split(/\s+/);
    case 'numberList':
      return t === '' ? [] : t.split(/\s+/).map(toNumber);
    default:
      // TS-0004 8.5: NULL is an empty element.
      return text === '' ? null : text;
  }
}

/** An element with attributes and/or children: members from both, text as `val`. */
function element(node: Record<string, unknown>, name: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  let text: string | undefined;
  let hasChildren = false;
  for (const [k, v] of Object.entries(node)) {
    if (k === TEXT_KEY) text = String(v);
    else if (k.startsWith(ATTR_PREFIX)) {
      const attr = k.slice(ATTR_PREFIX.length);
      if (!ignoredAttribute(attr)) put(out, attr, leaf(String(v), attributeKind(name, attr)));
    } else {
      hasChildren = true;
      put(out, k, convert(v, k, attributeKind(name, k)));
    }
  }
  if (text !== undefined && text.trim() !== '') {
    // Simple content with XML attributes becomes an object with `val` (TS-0004 8.3, e.g. `ch`).
    if (hasChildren) throw new XmlShapeError(`element <${name}> mixes text and child elements`);
    put(out, 'val', text);
  }
  return out;
}

/** One parsed node (string, object or array of them) to its data-model value. */
function convert(node: unknown, name: string, kind: AttributeKind | undefined): unknown {
  if (kind === 'repeated') {
    const items: unknown[] = Array.isArray(node) ? node : [node];
    return items.map((it) => convert(it, name, undefined));
  }
  // An element that occurs more than once although the table does not say so: keep all of them.
  if (Array.isArray(node)) return node.map((it: unknown) => convert(it, name, kind));
  if (isPlainObject(node)) return element(node, name);
  return leaf(typeof node === 'string' ? node : String(node), kind);
}

/** The children of `m2m:rqp` / `m2m:rsp` as a primitive in the JSON data model (not yet validated). */
export function decodeParameters(root: unknown, isRequest: boolean): Record<string, unknown> {
  const table = isRequest ? REQUEST_PARAMS : RESPONSE_PARAMS;
  const out: Record<string, unknown> = {};
  if (!isPlainObject(root)) return out;
  for (const [name, node] of Object.entries(root)) {
    if (name.startsWith(ATTR_PREFIX)) continue;
    if (name === TEXT_KEY) {
      if (typeof node === 'string' && node.trim() !== '')
        throw new XmlShapeError('text directly inside the root');
      continue;
    }
    const t = table[name];
    // An empty parameter element is an empty value of its type, not NULL (parameters have no NULL).
    if (node === '' && t === 'object') put(out, name, {});
    else if (node === '' && (t === 'string' || t === 'absrel')) put(out, name, '');
    else put(out, name, convert(node, name, t === undefined ? attributeKind('', name) : paramKind(t)));
  }
  return out;
}
