/**
 * Upgrade from 0.1.0: an outbox written by 0.1.0 (test/fixtures/outbox-0.1.0, made by 0.1.0's own
 * code) drains after the upgrade, every reading reaching the development registrar over a real
 * WebSocket with its original sampling time, values and units, in the order it was recorded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startRegistrar } from '../../src/cse/server.js';
import { ResourceType } from '../../src/protocol/codes.js';
import type { ResourceEvent } from '../../src/cse/events.js';
import { startAgent } from '../../src/main.js';
import { silentLogger } from '../../src/util/log.js';
import { makeConfig, rawConfig, tempDir, waitFor } from '../helpers/agent-harness.js';
import type { SenmlRecord } from '../../src/agent/reading-request.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/outbox-0.1.0/outbox', import.meta.url));
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
/** The fixture's readings in recording order (see its README). */
const EXPECTED = [
  {
    device: 'climate',
    minute: 0,
    pack: [
      ['temperature', 21.5, 'Cel'],
      ['humidity', 40, '%RH'],
    ],
  },
  { device: 'door', minute: 1, pack: [['open', true]] },
  {
    device: 'climate',
    minute: 2,
    pack: [
      ['temperature', 21.75, 'Cel'],
      ['humidity', 41, '%RH'],
    ],
  },
  {
    device: 'climate',
    minute: 3,
    pack: [
      ['temperature', 22, 'Cel'],
      ['humidity', 39.5, '%RH'],
    ],
  },
  { device: 'door', minute: 4, pack: [['open', false]] },
  { device: 'door', minute: 5, pack: [['state', 'locked']] },
] as const;

/** What a SenML pack says, as `[device, sampled ms, [[name, value, unit?], ...]]`. */
function readPack(e: ResourceEvent): [string, number, unknown[][]] {
  const pack = JSON.parse(String(e.resource.con)) as SenmlRecord[];
  const bn = pack[0]?.bn ?? '';
  const device = bn.slice(0, bn.indexOf(':'));
  const single = pack.length === 1;
  const values = pack.map((r) => {
    const row: unknown[] = [single ? bn.slice(device.length + 1) : r.n, r.v ?? r.vb ?? r.vs];
    if (r.u !== undefined) row.push(r.u);
    return row;
  });
  return [device, Math.round((pack[0]?.bt ?? NaN) * 1000), values];
}

const DEVICES = new Set(['climate', 'door']);

for (const serialization of ['cbor', 'json', 'xml'] as const) {
  test(`an outbox written by 0.1.0 drains after the upgrade, stamps and order kept (${serialization})`, async () => {
    const registrar = await startRegistrar({ port: 0 });
    const stateDir = tempDir('m2m-upgrade-');
    cpSync(FIXTURE, join(stateDir, 'outbox'), { recursive: true });
    const instances: ResourceEvent[] = [];
    registrar.on('resource', (e) => {
      // Only the devices' containers: device management adds its own (health) beside them.
      const container = e.path.split('/').at(-2) ?? '';
      if (e.kind === 'created' && e.ty === ResourceType.ContentInstance && DEVICES.has(container))
        instances.push(e);
    });
    // The devices of the fixture, sampling never during the test (1 January only).
    const never = '0 0 0 1 1 *';
    const config = makeConfig(
      rawConfig(registrar, stateDir, {
        serializations: [serialization],
        // The fixture's readings are from December 2026: an age limit must not drop them.
        buffer: { fsyncIntervalMs: 50, maxAgeSeconds: 100 * 365 * 86_400 },
        devices: [
          { name: 'climate', model: 'sim', sample: never },
          { name: 'door', model: 'sim', sample: never, eventCategory: 'immediate' },
        ],
      }),
    );
    const agent = await startAgent(config, { logger: silentLogger });
    try {
      await waitFor(() => instances.length >= EXPECTED.length, 'the six 0.1.0 readings delivered');
      await waitFor(() => agent.outbox.stats().depth === 0, 'the outbox emptied');
      assert.deepEqual(
        instances.map(readPack),
        EXPECTED.map((x) => [x.device, T0 + x.minute * 60_000, x.pack]),
      );
      assert.deepEqual(
        instances.map((e) => e.path.split('/').at(-2)),
        EXPECTED.map((x) => x.device),
        'each reading in its device container',
      );
      assert.equal(agent.outbox.stats().quarantined, 0);
    } finally {
      await agent.stop();
      await registrar.close();
      rmSync(stateDir, { recursive: true, force: true });
    }
  });
}
