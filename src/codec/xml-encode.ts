/**
 * From the JSON data model to XML text (TS-0004 8.5): parameters in XSD order, `rn` of a resource
 * as an XML attribute, `xs:list` members as one element with space-separated values, repeated
 * members as repeated elements, NULL as an empty element. Written by hand rather than with
 * fast-xml-parser's builder (deprecated in 5.x in favour of a package we do not ship), which also
 * keeps the output byte-exact and easy to check against hand-written fixtures.
 */
import { attributeKind, XML_ATTRIBUTES } from '../protocol/attributes.js';
import {
  REQUEST_PARAM_ORDER,
  REQUEST_PARAMS,
  RESPONSE_PARAM_ORDER,
  RESPONSE_PARAMS,
} from '../protocol/parameters.js';
import { isRequest, type Primitive } from '../protocol/primitive.js';
import { isPlainObject } from '../protocol/validate.js';
import { CodecMalformedError } from './errors.js';

/** The oneM2M protocol namespace, bound to the `m2m` prefix on the root element. */
export const M2M_NAMESPACE = 'http://www.onem2m.org/xml/protocols';

type Scalar = string | number | boolean;

// XML 1.0 Name (ASCII letters plus any non-ASCII letter; `m2m:` prefixes included).
const NAME = /^[\p{L}_][\p{L}\p{N}_.:-]*$/u;
// Characters outside the XML 1.0 Char production cannot be written at all, not even escaped.
const NOT_XML_CHAR = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|\p{Cs}/u;

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

function checkChars(s: string): string {
  if (NOT_XML_CHAR.test(s))
    throw new CodecMalformedError('xml', 'cannot encode a character that XML 1.0 does not allow');
  return s;
}

function escapeText(s: string): string {
  // `\r` as a reference, because XML parsers turn a literal CR into LF (XML 1.0 2.11).
  return checkChars(s).replace(/[&<>\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '>' ? '&gt;' : '&#13;',
  );
}

function escapeAttr(s: string): string {
  // Tabs and line breaks as references, because attribute values are normalized (XML 1.0 3.3.3).
  return checkChars(s).replace(/[&<"\t\n\r]/g, (c) =>
    c === '&' ? '&amp;' : c === '<' ? '&lt;' : c === '"' ? '&quot;' : `&#${c.charCodeAt(0)};`,
  );
}

function element(name: string, attrs: string, content: string): string {
  if (!NAME.test(name))
    throw new CodecMalformedError('xml', `cannot encode member "${name}" as an XML element`);
  return content === '' ? `<${name}${attrs}/>` : `<${name}${attrs}>${content}</${name}>`;
}

/** Members of `name` written as XML attributes: `rn` on every `m2m:` element, `nm`/`typ` on `ch`. */
function xmlAttributesOf(name: string): readonly string[] {
  return name.startsWith('m2m:') ? ['rn'] : (XML_ATTRIBUTES[name] ?? []);
}

/** An object as an element: attributes, then text (`val` of simple content) or child elements. */
function objectElement(name: string, o: Readonly<Record<string, unknown>>): string {
  const attrNames = xmlAttributesOf(name);
  const simpleContent = XML_ATTRIBUTES[name] !== undefined;
  let attrs = '';
  let content = '';
  for (const [k, v] of Object.entries(o)) {
    if (attrNames.includes(k) && isScalar(v)) attrs += ` ${k}="${escapeAttr(String(v))}"`;
    else if (k === 'val' && simpleContent && isScalar(v)) content = escapeText(String(v)) + content;
    else content += member(k, v, name);
  }
  return element(name, attrs, content);
}

function scalarText(x: unknown): string {
  return escapeText(isScalar(x) ? String(x) : JSON.stringify(x));
}

/** One member (`name: v` inside `parent`) as zero, one or several elements. */
function member(name: string, v: unknown, parent: string): string {
  if (v === undefined) return '';
  if (v === null) return element(name, '', '');
  // XML has no JSON-valued `con`: an object or array content (e.g. SenML) travels as its JSON text
  // and decodes as that string, so such a `con` does not round-trip to the same data model.
  if (name === 'con' && typeof v === 'object') return element(name, '', escapeText(JSON.stringify(v)));
  if (Array.isArray(v)) {
    const kind = attributeKind(parent, name);
    const asList = kind === 'list' || kind === 'numberList' || (kind !== 'repeated' && v.every(isScalar));
    if (asList) return element(name, '', v.map(scalarText).join(' '));
    return v
      .map((x: unknown) => (isPlainObject(x) ? objectElement(name, x) : member(name, x, parent)))
      .join('');
  }
  if (isPlainObject(v)) return objectElement(name, v);
  return element(name, '', scalarText(v));
}

/** A primitive as the `m2m:rqp` / `m2m:rsp` element (without the XML declaration). */
export function encodePrimitive(p: Primitive): string {
  const req = isRequest(p);
  const table = req ? REQUEST_PARAMS : RESPONSE_PARAMS;
  const order = req ? REQUEST_PARAM_ORDER : RESPONSE_PARAM_ORDER;
  const data = p as unknown as Readonly<Record<string, unknown>>;
  // Known parameters in XSD order, then any others in the order they came. List parameters
  // (`rids`, `tkns`, ...) are xs:list in the attribute table.
  const names = [...order, ...Object.keys(data).filter((k) => table[k] === undefined)];
  const content = names.map((name) => member(name, data[name], '')).join('');
  const root = req ? 'm2m:rqp' : 'm2m:rsp';
  return `<${root} xmlns:m2m="${M2M_NAMESPACE}">${content}</${root}>`;
}
