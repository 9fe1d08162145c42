/**
 * A tiny validator for the JSON Schema subset our schema files use, so `schema/*.json` (which
 * editors read) is also what `check` enforces: one source of truth. Supported keywords: type,
 * properties, required, additionalProperties, enum, const, minimum, maximum, exclusiveMinimum,
 * exclusiveMaximum, minLength, maxLength, pattern, items, minItems, maxItems, uniqueItems, oneOf,
 * default, $ref (local `#/$defs/...` only), plus annotations; `json-schema-check.ts` refuses any
 * other keyword instead of silently ignoring it. Every problem is collected, with its key path and
 * a hint (the schema's `description`).
 */
import { joinPath, type Issue } from '../util/issues.js';
import { isPlainObject } from '../util/plain-object.js';
import { suggest } from './suggest.js';

export type JsonType = 'string' | 'number' | 'integer' | 'boolean' | 'object' | 'array' | 'null';

/** A schema in the supported subset. */
export interface JsonSchema {
  readonly $schema?: string;
  readonly $id?: string;
  readonly $comment?: string;
  readonly $ref?: string;
  readonly $defs?: Readonly<Record<string, JsonSchema>>;
  readonly title?: string;
  readonly description?: string;
  readonly default?: unknown;
  readonly examples?: readonly unknown[];
  readonly type?: JsonType | readonly JsonType[];
  readonly properties?: Readonly<Record<string, JsonSchema>>;
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | JsonSchema;
  readonly enum?: readonly unknown[];
  readonly const?: unknown;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly exclusiveMinimum?: number;
  readonly exclusiveMaximum?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly pattern?: string;
  readonly items?: JsonSchema;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly uniqueItems?: boolean;
  readonly oneOf?: readonly JsonSchema[];
}

/** Re-exported for this layer's modules: the one definition lives in util/. */
export { isPlainObject };

/** `a string`, `a number (42)`: how a value is named in messages. */
export function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `a string (${JSON.stringify(v)})`;
  if (typeof v === 'number' || typeof v === 'boolean') return `a ${typeof v} (${v})`;
  if (typeof v === 'object') return 'an object';
  return typeof v;
}

function typeOf(v: unknown): JsonType {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as JsonType;
}

function typeMatches(v: unknown, t: JsonType): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

const article = (t: string): string => (/^[aeiou]/.test(t) ? `an ${t}` : `a ${t}`);
const show = (v: unknown): string => JSON.stringify(v);

/** Validates `value` against `schema`; returns every problem with its path (`devices[2].params.gpio`). */
export function validateJson(
  schema: JsonSchema,
  value: unknown,
  path = '',
  root: JsonSchema = schema,
): Issue[] {
  const s = resolve(schema, root);
  const hint = s.description;
  const wrongType = typeIssue(s, value, path);
  if (wrongType) return [wrongType];
  if (s.oneOf) return validateOneOf(s.oneOf, value, path, root, hint);
  const issues = valueIssues(s, value, path);
  if (typeof value === 'number') issues.push(...numberIssues(s, value, path));
  if (typeof value === 'string') issues.push(...stringIssues(s, value, path));
  if (Array.isArray(value)) issues.push(...arrayIssues(s, value, path, root));
  if (isPlainObject(value)) issues.push(...validateObject(s, value, path, root));
  return issues;
}

function issue(path: string, message: string, hint: string | undefined): Issue {
  return hint === undefined ? { path, message } : { path, message, hint };
}

function typeIssue(s: JsonSchema, value: unknown, path: string): Issue | undefined {
  if (s.type === undefined) return undefined;
  const types = typeof s.type === 'string' ? [s.type] : s.type;
  if (types.some((t) => typeMatches(value, t))) return undefined;
  // `"releaseVersion": 3` is a common slip: say how to write it.
  const quoted =
    types.includes('string') && (typeof value === 'number' || typeof value === 'boolean')
      ? `write it in quotes: "${String(value)}"`
      : undefined;
  return issue(
    path,
    `expected ${types.map(article).join(' or ')}, got ${describe(value)}`,
    quoted ?? s.description,
  );
}

/** enum and const. */
function valueIssues(s: JsonSchema, value: unknown, path: string): Issue[] {
  const issues: Issue[] = [];
  const hint = s.description;
  if (s.enum && !s.enum.some((e) => e === value)) {
    const near =
      typeof value === 'string'
        ? suggest(
            value,
            s.enum.filter((e) => typeof e === 'string'),
          )
        : undefined;
    issues.push(
      issue(
        path,
        `${show(value)} is not one of ${s.enum.map(show).join(', ')}`,
        near ? `did you mean "${near}"?` : hint,
      ),
    );
  }
  if (s.const !== undefined && s.const !== value) issues.push(issue(path, `must be ${show(s.const)}`, hint));
  return issues;
}

function numberIssues(s: JsonSchema, value: number, path: string): Issue[] {
  const issues: Issue[] = [];
  const add = (message: string): void => {
    issues.push(issue(path, message, s.description));
  };
  if (s.minimum !== undefined && value < s.minimum) add(`${value} is below the minimum ${s.minimum}`);
  if (s.maximum !== undefined && value > s.maximum) add(`${value} is above the maximum ${s.maximum}`);
  if (s.exclusiveMinimum !== undefined && value <= s.exclusiveMinimum)
    add(`${value} must be greater than ${s.exclusiveMinimum}`);
  if (s.exclusiveMaximum !== undefined && value >= s.exclusiveMaximum)
    add(`${value} must be less than ${s.exclusiveMaximum}`);
  return issues;
}

function stringIssues(s: JsonSchema, value: string, path: string): Issue[] {
  const issues: Issue[] = [];
  const add = (message: string): void => {
    issues.push(issue(path, message, s.description));
  };
  if (s.minLength !== undefined && value.length < s.minLength)
    add(s.minLength === 1 ? 'must not be empty' : `is shorter than ${s.minLength} characters`);
  if (s.maxLength !== undefined && value.length > s.maxLength)
    add(`is longer than ${s.maxLength} characters`);
  if (s.pattern !== undefined && !new RegExp(s.pattern, 'u').test(value))
    add(`${show(value)} does not have the expected form (pattern ${s.pattern})`);
  return issues;
}

function arrayIssues(s: JsonSchema, value: readonly unknown[], path: string, root: JsonSchema): Issue[] {
  const issues: Issue[] = [];
  if (s.minItems !== undefined && value.length < s.minItems)
    issues.push(issue(path, `needs at least ${s.minItems} item(s)`, s.description));
  if (s.maxItems !== undefined && value.length > s.maxItems)
    issues.push(issue(path, `allows at most ${s.maxItems} item(s)`, s.description));
  if (s.uniqueItems) {
    value.forEach((v, i) => {
      const first = value.findIndex((w) => show(w) === show(v));
      if (first < i)
        issues.push(
          issue(
            joinPath(path, i),
            `${show(v)} is already listed at ${joinPath(path, first)}`,
            'remove the duplicate',
          ),
        );
    });
  }
  const items = s.items;
  if (items) value.forEach((v, i) => issues.push(...validateJson(items, v, joinPath(path, i), root)));
  return issues;
}

function validateObject(
  s: JsonSchema,
  value: Record<string, unknown>,
  path: string,
  root: JsonSchema,
): Issue[] {
  const issues: Issue[] = [];
  const props = s.properties ?? {};
  for (const key of s.required ?? []) {
    if (value[key] === undefined) issues.push(...missing(props[key], joinPath(path, key), root));
  }
  for (const [key, v] of Object.entries(value)) {
    const ps = props[key];
    if (ps) issues.push(...validateJson(ps, v, joinPath(path, key), root));
    else if (s.additionalProperties === false) {
      const near = suggest(key, Object.keys(props));
      issues.push({
        path: joinPath(path, key),
        message: 'unknown key',
        hint: near ? `did you mean "${near}"?` : `allowed keys: ${Object.keys(props).join(', ')}`,
      });
    } else if (isPlainObject(s.additionalProperties)) {
      issues.push(...validateJson(s.additionalProperties, v, joinPath(path, key), root));
    }
  }
  return issues;
}

/** A missing required key; a missing object with required keys of its own names those (`registrar.url`). */
function missing(schema: JsonSchema | undefined, path: string, root: JsonSchema): Issue[] {
  const s = schema === undefined ? undefined : resolve(schema, root);
  const inner = s?.required ?? [];
  if (s !== undefined && inner.length > 0)
    return inner.flatMap((k) => missing(s.properties?.[k], joinPath(path, k), root));
  const desc = s?.description;
  return [{ path, message: 'missing required key', ...(desc ? { hint: desc } : {}) }];
}

/** oneOf: exactly one branch must match; on failure report the branch meant by the value's type. */
function validateOneOf(
  branches: readonly JsonSchema[],
  value: unknown,
  path: string,
  root: JsonSchema,
  hint: string | undefined,
): Issue[] {
  const results = branches.map((b) => validateJson(b, value, path, root));
  const passing = results.filter((r) => r.length === 0).length;
  if (passing === 1) return [];
  if (passing > 1)
    return [{ path, message: 'matches more than one allowed form', ...(hint ? { hint } : {}) }];
  const byType = branches.findIndex((b) => {
    const t = resolve(b, root).type;
    return t !== undefined && (typeof t === 'string' ? [t] : t).some((x) => typeMatches(value, x));
  });
  if (byType >= 0) return results[byType] ?? [];
  const kinds = branches.flatMap((b) => {
    const t = resolve(b, root).type;
    return t === undefined ? [] : typeof t === 'string' ? [t] : t;
  });
  return [
    {
      path,
      message: `expected ${kinds.map(article).join(' or ')}, got ${describe(value)}`,
      ...(hint ? { hint } : {}),
    },
  ];
}

function resolve(s: JsonSchema, root: JsonSchema): JsonSchema {
  if (s.$ref === undefined) return s;
  const name = s.$ref.replace(/^#\/\$defs\//, '');
  const target = root.$defs?.[name];
  if (!target) throw new Error(`schema reference ${s.$ref} not found`);
  return target;
}

/** A deep copy of `value` with each missing object property that has a `default` filled in. */
export function applyDefaults(schema: JsonSchema, value: unknown, root: JsonSchema = schema): unknown {
  const s = resolve(schema, root);
  if (Array.isArray(value)) {
    const items = s.items;
    return (value as unknown[]).map((v) => (items ? applyDefaults(items, v, root) : v));
  }
  if (!isPlainObject(value)) return value;
  const out: Record<string, unknown> = { ...value };
  for (const [key, ps] of Object.entries(s.properties ?? {})) {
    const def = resolve(ps, root).default;
    if (out[key] === undefined && def !== undefined) out[key] = structuredClone(def);
    if (out[key] !== undefined) out[key] = applyDefaults(ps, out[key], root);
  }
  return out;
}
