import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor } from '../helpers/agent-harness.js';
import { ResourceType } from '../../src/protocol/codes.js';

for (const serialization of ['cbor', 'json', 'xml'] as const) {
  test(`first start registers, creates containers and uploads readings (${serialization})`, async () => {
    const h = await startHarness({ config: { serializations: [serialization] } });
    try {
      await waitFor(
        () => h.instances.filter((e) => e.path.includes('/counter/')).length >= 2,
        'two counter readings',
      );
      const conn = h.registrar.connections()[0];
      assert.equal(conn?.subprotocol, `oneM2M.${serialization}`);
      const ae = h.registrar.cse.resource('cse-in/e2e-gw');
      assert.ok(ae, 'the <AE> exists');
      assert.equal(h.agent.registration.aeId, 'Ce2e-gw');
      assert.ok(h.registrar.cse.resource('cse-in/e2e-gw/counter'));
      assert.ok(h.registrar.cse.resource('cse-in/e2e-gw/switch/command'));
      const first = h.instances.find((e) => e.path.includes('/counter/'));
      const con = JSON.parse(String(first?.resource.con)) as { bn: string; bt: number; v: number }[];
      assert.equal(con[0]?.bn, 'counter:value', 'one reading: its name is the base name alone');
      assert.equal((con[0] as { n?: string } | undefined)?.n, undefined);
      assert.equal(typeof con[0]?.bt, 'number');
      assert.equal(first?.resource.cnf, 'application/senml+json:0');
      assert.ok(h.instances.every((e) => e.ty === ResourceType.ContentInstance));
    } finally {
      await h.close();
    }
  });
}
