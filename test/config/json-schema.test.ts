import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDefaults, validateJson, type JsonSchema } from '../../src/config/json-schema.js';
import { checkSchema } from '../../src/config/json-schema-check.js';

const schema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'inner'],
  properties: {
    name: { type: 'string', pattern: '^[a-z]+$', description: 'lower-case letters' },
    count: { type: 'integer', minimum: 1, maximum: 10, default: 3 },
    ratio: { type: 'number', exclusiveMinimum: 0 },
    mode: { type: 'string', enum: ['fast', 'slow'], default: 'slow' },
    tags: { type: 'array', uniqueItems: true, minItems: 1, items: { type: 'string', minLength: 1 } },
    proxy: { type: ['string', 'null'] },
    inner: {
      type: 'object',
      required: ['url'],
      default: {},
      properties: { url: { type: 'string' }, port: { default: 80 } },
    },
    either: { oneOf: [{ type: 'string', enum: ['a', 'b'] }, { $ref: '#/$defs/obj' }] },
    open: { type: 'object', additionalProperties: { type: 'number' } },
  },
  $defs: { obj: { type: 'object', additionalProperties: false, properties: { x: { type: 'boolean' } } } },
};

const paths = (value: unknown): string[] => validateJson(schema, value).map((i) => i.path);

test('a valid value has no issues', () => {
  assert.deepEqual(
    validateJson(schema, { name: 'ok', inner: { url: 'u' }, proxy: null, either: { x: true } }),
    [],
  );
  assert.deepEqual(
    validateJson(schema, { name: 'ok', inner: { url: 'u' }, either: 'a', ratio: 0.5, open: { q: 1 } }),
    [],
  );
});

test('every problem is reported with its key path, not just the first', () => {
  const issues = validateJson(schema, {
    name: 'Bad1',
    count: 11,
    ratio: 0,
    mode: 'fats',
    tags: ['a', '', 'a'],
    inner: { port: 1 },
    either: { x: 'no', y: 1 },
    open: { q: 'str' },
    nmae: 1,
  });
  assert.deepEqual(issues.map((i) => i.path).sort(), [
    'count',
    'either.x',
    'either.y',
    'inner.url',
    'mode',
    'name',
    'nmae',
    'open.q',
    'ratio',
    'tags[1]',
    'tags[2]',
  ]);
  const by = (p: string) => issues.find((i) => i.path === p);
  assert.equal(by('nmae')?.message, 'unknown key');
  assert.equal(by('nmae')?.hint, 'did you mean "name"?');
  assert.equal(by('mode')?.hint, 'did you mean "fast"?');
  assert.match(by('count')?.message ?? '', /11 is above the maximum 10/);
  assert.match(by('ratio')?.message ?? '', /must be greater than 0/);
  assert.equal(by('name')?.hint, 'lower-case letters');
  assert.match(by('tags[2]')?.message ?? '', /already listed at tags\[0\]/);
  assert.equal(by('inner.url')?.message, 'missing required key');
});

test('type errors stop descending and say what was expected', () => {
  const issues = validateJson(schema, { name: 5, inner: 'x', count: 1.5, proxy: 3 });
  const by = (p: string) => issues.find((i) => i.path === p);
  assert.equal(by('name')?.message, 'expected a string, got a number (5)');
  assert.equal(by('name')?.hint, 'write it in quotes: "5"');
  assert.equal(by('inner')?.message, 'expected an object, got a string ("x")');
  assert.equal(by('count')?.message, 'expected an integer, got a number (1.5)');
  assert.equal(by('proxy')?.message, 'expected a string or a null, got a number (3)');
  assert.deepEqual(paths([]), ['']);
});

test('oneOf reports the branch the value was meant for, or the kinds allowed', () => {
  assert.deepEqual(
    validateJson(schema, { name: 'a', inner: { url: 'u' }, either: 'c' }).map((i) => i.message),
    ['"c" is not one of "a", "b"'],
  );
  assert.deepEqual(
    validateJson(schema, { name: 'a', inner: { url: 'u' }, either: 7 }).map((i) => i.message),
    ['expected a string or an object, got a number (7)'],
  );
});

test('a missing object with required keys reports the inner keys', () => {
  const s: JsonSchema = {
    type: 'object',
    required: ['registrar'],
    properties: {
      registrar: {
        type: 'object',
        required: ['url'],
        properties: { url: { type: 'string', description: 'd' } },
      },
    },
  };
  assert.deepEqual(validateJson(s, {}), [
    { path: 'registrar.url', message: 'missing required key', hint: 'd' },
  ]);
});

test('applyDefaults fills missing keys deeply and copies instead of sharing', () => {
  const raw = { name: 'x' };
  const filled = applyDefaults(schema, raw) as Record<string, unknown>;
  assert.deepEqual(filled, { name: 'x', count: 3, mode: 'slow', inner: { port: 80 } });
  assert.deepEqual(raw, { name: 'x' });
  const again = applyDefaults(schema, raw) as { inner: object };
  assert.notEqual(again.inner, filled.inner);
  assert.deepEqual(applyDefaults(schema, { name: 'x', count: 7 }), {
    name: 'x',
    count: 7,
    mode: 'slow',
    inner: { port: 80 },
  });
});

test('checkSchema refuses keywords the validator would silently ignore', () => {
  assert.deepEqual(checkSchema(schema).issues, []);
  const bad = checkSchema({
    type: 'object',
    properties: {
      a: { type: 'strng' },
      b: { format: 'uri' },
      c: { patern: 'x' },
      d: { pattern: '(' },
      e: { $ref: '#/$defs/none' },
    },
    anyOf: [],
  });
  assert.equal(bad.schema, undefined);
  const byPath = new Map(bad.issues.map((i) => [i.path, i]));
  assert.deepEqual([...byPath.keys()].sort(), [
    '',
    'anyOf',
    'properties.a.type',
    'properties.b.format',
    'properties.c.patern',
    'properties.d.pattern',
  ]);
  assert.equal(byPath.get('properties.c.patern')?.hint, 'did you mean "pattern"?');
  assert.match(byPath.get('')?.message ?? '', /#\/\$defs\/none/);
  assert.equal(checkSchema('nope').issues.length, 1);
});
