/**
 * A registrar that refuses the set-up for a while (here: the first container CREATE gets 5000):
 * the agent retries on the same connection after a pause instead of sitting on an idle link, and
 * readings flow once the set-up succeeded.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor } from '../helpers/agent-harness.js';
import { connect as wsConnect } from '../../src/binding/ws/index.js';
import type { Connect } from '../../src/binding/ws/types.js';
import { withRequest } from '../../src/agent/with-request.js';
import { ResourceType } from '../../src/protocol/codes.js';
import type { RequestPrimitive } from '../../src/protocol/primitive.js';

/** The real client; the first container CREATE is answered 5000 without reaching the registrar. */
function refuseFirstContainer(seen: RequestPrimitive[]): Connect {
  let refused = false;
  return async (opts) => {
    const c = await wsConnect(opts);
    return withRequest(c, (req, o) => {
      seen.push(req);
      const rn = (req.pc as { 'm2m:cnt'?: { rn?: string } } | undefined)?.['m2m:cnt']?.rn;
      if (!refused && req.ty === ResourceType.Container && rn === 'counter') {
        refused = true;
        return Promise.resolve({ rsc: 5000, rqi: req.rqi, rvi: '3', pc: { 'm2m:dbg': 'injected' } });
      }
      return c.request(req, o);
    });
  };
}

test('a refused set-up is retried on the same connection, then readings flow', async () => {
  const seen: RequestPrimitive[] = [];
  const connections: string[] = [];
  const h = await startHarness({
    config: (r) => {
      r.on('connection', (c) => connections.push(c.id));
      return { serializations: ['json'] };
    },
    start: { connect: refuseFirstContainer(seen) },
    recordLogs: true,
  });
  try {
    await waitFor(
      () => h.instances.some((e) => e.path.startsWith('cse-in/e2e-gw/counter/')),
      'a reading',
      8000,
    );
    assert.deepEqual(connections, ['c1'], 'no reconnect');
    // Device management creates its own containers (health, config) beside these, in any order.
    const deviceContainer = (r: RequestPrimitive): boolean => {
      const rn = (r.pc as { 'm2m:cnt'?: { rn?: string } } | undefined)?.['m2m:cnt']?.rn;
      return rn === 'counter' || rn === 'switch';
    };
    const containerCreates = seen.filter((r) => r.ty === ResourceType.Container && deviceContainer(r));
    assert.equal(
      containerCreates.filter((r) => r.to === 'cse-in/e2e-gw').length,
      3,
      'counter refused once, then counter and switch',
    );
    assert.equal(seen.filter((r) => r.ty === ResourceType.AE).length, 1, 'registered once');
    const lines = (h.logger as unknown as { lines: { msg: string }[] }).lines;
    assert.ok(lines.some((l) => /set-up failed; retrying on this connection/.test(l.msg)));
  } finally {
    await h.close();
  }
});
