/**
 * Checks that a schema (a shipped one, or a device model's `paramsSchema`) uses only what
 * `json-schema.ts` implements, so no keyword is silently ignored.
 */
import { joinPath, type Issue } from '../util/issues.js';
import { describe, isPlainObject, type JsonSchema, type JsonType } from './json-schema.js';
import { suggest } from './suggest.js';

const TYPES: readonly JsonType[] = ['string', 'number', 'integer', 'boolean', 'object', 'array', 'null'];
type KeywordKind = 'string' | 'number' | 'boolean' | 'any' | 'schema' | 'schemaMap' | 'schemaList' | 'list';
const KEYWORDS: Readonly<Record<string, KeywordKind>> = {
  $schema: 'string',
  $id: 'string',
  $comment: 'string',
  $ref: 'string',
  $defs: 'schemaMap',
  title: 'string',
  description: 'string',
  default: 'any',
  examples: 'list',
  type: 'any',
  properties: 'schemaMap',
  required: 'list',
  additionalProperties: 'any',
  enum: 'list',
  const: 'any',
  minimum: 'number',
  maximum: 'number',
  exclusiveMinimum: 'number',
  exclusiveMaximum: 'number',
  minLength: 'number',
  maxLength: 'number',
  pattern: 'string',
  items: 'schema',
  minItems: 'number',
  maxItems: 'number',
  uniqueItems: 'boolean',
  oneOf: 'schemaList',
};

/** Checks that `raw` is a schema in the supported subset; returns it typed when it is. */
export function checkSchema(raw: unknown, path = ''): { schema?: JsonSchema; issues: Issue[] } {
  const issues: Issue[] = [];
  walkSchema(raw, path, issues);
  issues.push(...unresolvedReferences(raw, path));
  return issues.length === 0 ? { schema: raw as JsonSchema, issues } : { issues };
}

/** Checks one schema object and, through its keywords, every schema inside it. */
function walkSchema(s: unknown, p: string, issues: Issue[]): void {
  if (!isPlainObject(s)) {
    issues.push({ path: p, message: `expected a schema object, got ${describe(s)}` });
    return;
  }
  for (const [key, value] of Object.entries(s)) checkKeyword(key, value, joinPath(p, key), issues);
  const t = s.type;
  const types: unknown[] = Array.isArray(t) ? t : t === undefined ? [] : [t];
  for (const ty of types) {
    if (!TYPES.includes(ty as JsonType))
      issues.push({ path: joinPath(p, 'type'), message: `unknown type ${JSON.stringify(ty)}` });
  }
  const ap = s.additionalProperties;
  if (ap !== undefined && typeof ap !== 'boolean')
    walkSchema(ap, joinPath(p, 'additionalProperties'), issues);
  if (typeof s.pattern === 'string') {
    try {
      new RegExp(s.pattern, 'u');
    } catch (err) {
      issues.push({ path: joinPath(p, 'pattern'), message: `invalid pattern: ${(err as Error).message}` });
    }
  }
  if (typeof s.$ref === 'string' && !/^#\/\$defs\/[^/]+$/.test(s.$ref)) {
    issues.push({
      path: joinPath(p, '$ref'),
      message: `only local "#/$defs/<name>" references are supported`,
    });
  }
}

/** A supported keyword with a value of its kind; schemas inside it are walked. */
function checkKeyword(key: string, value: unknown, kp: string, issues: Issue[]): void {
  const kind = KEYWORDS[key];
  if (kind === undefined) {
    const near = suggest(key, Object.keys(KEYWORDS));
    issues.push({
      path: kp,
      message: `unsupported schema keyword "${key}"`,
      hint: near ? `did you mean "${near}"?` : `supported: ${Object.keys(KEYWORDS).join(', ')}`,
    });
  } else if (kind === 'schema') walkSchema(value, kp, issues);
  else if (kind === 'schemaMap') {
    if (isPlainObject(value))
      for (const [k, v] of Object.entries(value)) walkSchema(v, joinPath(kp, k), issues);
    else issues.push({ path: kp, message: `expected an object of schemas, got ${describe(value)}` });
  } else if (kind === 'schemaList' || kind === 'list') {
    if (!Array.isArray(value))
      issues.push({ path: kp, message: `expected an array, got ${describe(value)}` });
    else if (kind === 'schemaList') {
      value.forEach((v: unknown, i) => {
        walkSchema(v, joinPath(kp, i), issues);
      });
    }
  } else if (kind !== 'any' && typeof value !== kind) {
    issues.push({ path: kp, message: `expected a ${kind}, got ${describe(value)}` });
  }
}

/** A reference must resolve, or validation would fail later with a programming error. */
function unresolvedReferences(raw: unknown, path: string): Issue[] {
  const defs = isPlainObject(raw) && isPlainObject(raw.$defs) ? raw.$defs : {};
  const issues: Issue[] = [];
  for (const m of JSON.stringify(raw ?? null).matchAll(/"\$ref":"#\/\$defs\/([^"/]+)"/g)) {
    const name = m[1] ?? '';
    if (!(name in defs)) issues.push({ path, message: `reference "#/$defs/${name}" has no definition` });
  }
  return issues;
}
