/**
 * Configuration keys of the ASN role: `devices[].push` and `node.registrationCheckSeconds` reach
 * the validated config; `push: false` outside the asn role and an asn role behind a registrar that
 * never sends requests over the link (the mobius preset) are reported with their key paths.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadDeviceModels } from '../../src/config/models.js';
import { validateConfig } from '../../src/config/validate.js';
import { bundledDevicesDir } from '../../src/config/schemas.js';

const { models } = loadDeviceModels([bundledDevicesDir()]);

function raw(node: Record<string, unknown>, compat = 'standard', push = false): Record<string, unknown> {
  return {
    registrar: { url: 'ws://127.0.0.1:1/', compat },
    node: { name: 'gw', ...node },
    serializations: ['json'],
    stateDir: '/tmp/m2m-unused',
    devices: [
      { name: 'a', model: 'sim', push },
      { name: 'b', model: 'sim' },
    ],
  };
}

test('asn keys reach the config', () => {
  const { config, issues } = validateConfig(
    raw({ role: 'asn', cseId: '/id-gw', registrationCheckSeconds: 60 }),
    models,
  );
  assert.deepEqual(issues, []);
  assert.equal(config?.node.registrationCheckSeconds, 60);
  assert.equal(config?.devices[0]?.push, false);
  assert.equal(config?.devices[1]?.push, undefined, 'absent means push');
});

test('push: false needs the asn role; the asn role needs requests over the link', () => {
  const adn = validateConfig(raw({}), models);
  assert.deepEqual(
    adn.issues.map((i) => i.path),
    ['devices[0].push'],
  );
  const mobius = validateConfig(raw({ role: 'asn', cseId: '/id-gw' }, 'mobius'), models);
  assert.ok(
    mobius.issues.some((i) => i.path === 'registrar.compat'),
    JSON.stringify(mobius.issues),
  );
});
