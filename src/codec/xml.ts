/**
 * XML serialization (TS-0004 8.5): UTF-8 XML 1.0, root `m2m:rqp` (request) or `m2m:rsp`
 * (response) bound to the oneM2M namespace, parameters unprefixed, resources in `<pc>` prefixed.
 * Parsing uses fast-xml-parser with `parseTagValue: false`, so nothing is guessed from the text:
 * numbers and booleans come back only where the data model has them (`attributeKind`).
 *
 * Limits of the XML data model: an object or array `con` (e.g. SenML) is written as its JSON
 * text and decodes as that string; an absRelTimestamp given as a number decodes as a digit
 * string; an empty string and NULL are both an empty element and decode as NULL.
 */
import { createRequire } from 'node:module';
import type { XMLParser } from 'fast-xml-parser';
import type { SyntaxValidator } from 'fast-xml-validator';
import { PrimitiveInvalidError } from '../protocol/errors.js';
import type { Primitive } from '../protocol/primitive.js';
import { isPlainObject, validatePrimitive } from '../protocol/validate.js';
import type { Codec } from './codec.js';
import { CodecLimitError, CodecMalformedError } from './errors.js';
import { DECODE_LIMITS } from './limits.js';
import { xmlBoundsProblem } from './xml-bounds.js';
import {
  ATTR_PREFIX,
  decodeParameters,
  isRepeated,
  TEXT_KEY,
  xmlEntityDecoder,
  XmlShapeError,
} from './xml-decode.js';
import { encodePrimitive, M2M_NAMESPACE } from './xml-encode.js';

const DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';
const decoder = new TextDecoder('utf-8', { fatal: true });

const require = createRequire(import.meta.url);
let xmlParser: { readonly validator: SyntaxValidator; readonly parser: XMLParser } | undefined;

/**
 * The validator and parser, built on the first XML message: fast-xml-parser and
 * fast-xml-validator (a few MiB) are loaded only on a link that really speaks XML, not by every
 * agent at start-up. The parser alone accepts truncated and unbalanced XML.
 */
function xml(): { readonly validator: SyntaxValidator; readonly parser: XMLParser } {
  if (xmlParser === undefined) {
    const { SyntaxValidator: Validator } =
      require('fast-xml-validator') as typeof import('fast-xml-validator');
    xmlParser = { validator: new Validator(), parser: makeParser() };
  }
  return xmlParser;
}

/** Parses well-formed XML (XML 1.0 2.1) to fast-xml-parser's tree; throws with the position otherwise. */
function parseWellFormed(text: string): unknown {
  const { validator, parser } = xml();
  try {
    validator.validate(text);
  } catch (err) {
    const at = err as { message?: unknown; line?: unknown; col?: unknown };
    const where = typeof at.line === 'number' ? `:${at.line}:${String(at.col)}` : '';
    throw new Error(`${String(at.message)}${where}`, { cause: err });
  }
  return parser.parse(text) as unknown;
}

function makeParser(): XMLParser {
  const { XMLParser: Parser } = require('fast-xml-parser') as typeof import('fast-xml-parser');
  return new Parser({
    ignoreAttributes: false,
    attributeNamePrefix: ATTR_PREFIX,
    textNodeName: TEXT_KEY,
    parseTagValue: false,
    parseAttributeValue: false,
    // Keep text exactly (a `cr` of " S_SAH25" keeps its space); whitespace between elements is dropped later.
    trimValues: false,
    ignoreDeclaration: true,
    ignorePiTags: true,
    entityDecoder: xmlEntityDecoder,
    isArray: (name, jPath, _leaf, isAttribute) => {
      if (isAttribute) return false;
      const path = String(jPath).split('.');
      return isRepeated(path[path.length - 2] ?? '', name);
    },
  });
}

/** Best effort: the `rqi` of broken XML, so the peer can still get a 4000 response. */
export function recoverXmlRqi(text: string): string | undefined {
  const raw = /<rqi>([^<]{1,256})<\/rqi>/.exec(text)?.[1];
  if (raw === undefined) return undefined;
  try {
    return xmlEntityDecoder.decode(raw);
  } catch {
    return raw; // a broken reference in the rqi itself: the raw text is still the best answer
  }
}

function toText(data: string | Uint8Array): string {
  try {
    const text = typeof data === 'string' ? data : decoder.decode(data);
    return text.startsWith('\uFEFF') ? text.slice(1) : text;
  } catch (err) {
    throw new CodecMalformedError('xml', 'message is not valid UTF-8', undefined, err);
  }
}

/** The single root element of a parsed document, checked for name and namespace. */
function rootOf(doc: unknown, rqi: string | undefined): { name: string; node: unknown } {
  const roots = isPlainObject(doc) ? Object.entries(doc).filter(([k]) => !k.startsWith('?')) : [];
  const first = roots[0];
  if (roots.length !== 1 || first === undefined)
    throw new CodecMalformedError('xml', `expected one root element, got ${roots.length}`, rqi);
  const [name, node] = first;
  if (name !== 'm2m:rqp' && name !== 'm2m:rsp')
    throw new CodecMalformedError('xml', `root element must be m2m:rqp or m2m:rsp, got <${name}>`, rqi);
  const ns = isPlainObject(node) ? node[`${ATTR_PREFIX}xmlns:m2m`] : undefined;
  if (ns !== M2M_NAMESPACE)
    throw new CodecMalformedError('xml', `root element must declare xmlns:m2m="${M2M_NAMESPACE}"`, rqi);
  return { name, node };
}

export const xmlCodec: Codec = {
  serialization: 'xml',
  frame: 'text',
  mediaType: 'application/xml',
  encode(p: Primitive): string {
    return DECLARATION + encodePrimitive(p);
  },
  decode(data: string | Uint8Array): Primitive {
    const text = toText(data);
    const rqi = recoverXmlRqi(text);
    // oneM2M needs no DTD; refusing one rules out entity-expansion attacks.
    if (/<!DOCTYPE/i.test(text)) throw new CodecMalformedError('xml', 'a DOCTYPE is not allowed', rqi);
    // Bounded before parsing: see xml-bounds.ts.
    const tooBig = xmlBoundsProblem(text, DECODE_LIMITS);
    if (tooBig) throw new CodecLimitError('xml', tooBig, rqi);
    let doc: unknown;
    try {
      doc = parseWellFormed(text);
    } catch (err) {
      throw new CodecMalformedError('xml', `not well-formed XML (${(err as Error).message})`, rqi, err);
    }
    const root = rootOf(doc, rqi);
    const isRequest = root.name === 'm2m:rqp';
    let params: Record<string, unknown>;
    try {
      params = decodeParameters(root.node, isRequest);
    } catch (err) {
      if (err instanceof XmlShapeError) throw new CodecMalformedError('xml', err.message, rqi, err);
      throw err;
    }
    // In XML the root, not the presence of op/rsc, says which kind of primitive this is.
    const key = isRequest ? 'op' : 'rsc';
    if (!(key in params)) throw new PrimitiveInvalidError(`<${root.name}> without <${key}>`, rqi);
    return validatePrimitive(params);
  },
};
