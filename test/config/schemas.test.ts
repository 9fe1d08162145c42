import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { join } from 'node:path';
import { configSchema, deviceSchema, packageRoot } from '../../src/config/schemas.js';
import { loadDeviceModels } from '../../src/config/models.js';
import { validateConfig } from '../../src/config/validate.js';
import type { JsonSchema } from '../../src/config/json-schema.js';

const ROOT = packageRoot();
const example = JSON.parse(fs.readFileSync(join(ROOT, 'config', 'example.json'), 'utf8')) as unknown;
const { models } = loadDeviceModels([join(ROOT, 'test', 'fixtures', 'config', 'devices')]);

/** Every key path a schema defines (through objects, arrays and object branches of oneOf). */
function schemaPaths(s: JsonSchema, base: string, out: Set<string>): void {
  for (const [k, v] of Object.entries(s.properties ?? {})) {
    const p = base === '' ? k : `${base}.${k}`;
    out.add(p);
    schemaPaths(v, p, out);
  }
  if (s.items) schemaPaths(s.items, `${base}[]`, out);
  for (const b of s.oneOf ?? []) schemaPaths(b, base, out);
}

/** Every key path present in a value (array elements merged). */
function valuePaths(v: unknown, base: string, out: Set<string>): void {
  if (Array.isArray(v)) for (const x of v) valuePaths(x, `${base}[]`, out);
  else if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const p = base === '' ? k : `${base}.${k}`;
      out.add(p);
      valuePaths(x, p, out);
    }
  }
}

test('the shipped schemas load and use only what the validator implements', () => {
  assert.equal(configSchema().type, 'object');
  assert.equal(deviceSchema().type, 'object');
});

test('config/example.json is valid', () => {
  const { config, issues } = validateConfig(example, models, { unreadable: () => undefined });
  assert.deepEqual(issues, []);
  assert.equal(config?.node.name, 'barn-gw-1');
  assert.ok((config?.devices.length ?? 0) >= 4);
});

test('config/example.json shows every key of the schema, and nothing else', () => {
  const want = new Set<string>();
  schemaPaths(configSchema(), '', want);
  const have = new Set<string>();
  valuePaths(example, '', have);
  // `params` contents come from the device models, not from the configuration schema.
  const has = [...have].filter((p) => !/^devices\[\]\.params\./.test(p));
  assert.deepEqual(
    [...want].filter((p) => !have.has(p)),
    [],
    'keys missing from the example',
  );
  assert.deepEqual(
    has.filter((p) => !want.has(p)),
    [],
    'keys in the example the schema does not know',
  );
});

test('the example fixtures of device models are valid against the device schema', () => {
  const dir = join(ROOT, 'test', 'fixtures', 'config', 'devices');
  const { issues } = loadDeviceModels([dir]);
  assert.deepEqual(issues, []);
  for (const f of fs.readdirSync(dir)) {
    const raw = JSON.parse(fs.readFileSync(join(dir, f), 'utf8')) as { $schema?: string };
    // The $schema reference must point at the real file so editors validate fixtures too.
    assert.ok(raw.$schema && fs.existsSync(join(dir, raw.$schema)), f);
  }
});
