/**
 * The `<AE>` deleted on the registrar (an administrator, an expiry, a reset): the agent notices
 * on its next request, confirms, registers again with its stored stem, re-creates its containers
 * and subscription, and readings and commands flow again. A refusal that does not mean the `<AE>`
 * is gone (4004/4103 on one container) never leads to a registration loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor, type Harness } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest, type RequestPrimitive } from '../../src/protocol/primitive.js';
import { connect as wsConnect } from '../../src/binding/ws/index.js';
import type { Connect } from '../../src/binding/ws/types.js';
import { withRequest } from '../../src/agent/with-request.js';
import type { Registrar } from '../../src/cse/registrar.js';

/** Counts the agent's requests by kind, from the registrar's first primitive on. */
function watch(registrar: Registrar, out: RequestPrimitive[]): void {
  registrar.on('primitive', (e) => {
    if (e.direction === 'in' && isRequest(e.primitive)) out.push(e.primitive);
  });
}

const aeCreates = (reqs: readonly RequestPrimitive[]): RequestPrimitive[] =>
  reqs.filter((r) => r.op === Operation.Create && r.ty === ResourceType.AE);
const aeRetrieves = (reqs: readonly RequestPrimitive[]): RequestPrimitive[] =>
  reqs.filter((r) => r.op === Operation.Retrieve && r.to === 'cse-in/e2e-gw');
const counterReadings = (h: Harness): number =>
  h.instances.filter((e) => e.path.startsWith('cse-in/e2e-gw/counter/')).length;

async function remove(h: Harness, path: string): Promise<void> {
  const rsp = await h.registrar.cse.handle({
    op: Operation.Delete,
    to: path,
    fr: '/id-in',
    rqi: `del-${path}`,
    rvi: '3',
  });
  assert.equal(rsp.rsc, 2002, `${path} deleted`);
}

async function commandSwitch(h: Harness, con: string): Promise<void> {
  const rsp = await h.registrar.cse.handle({
    op: Operation.Create,
    to: 'cse-in/e2e-gw/switch/command',
    fr: 'Cuser',
    rqi: `cmd-${con}-${Date.now()}`,
    rvi: '3',
    ty: ResourceType.ContentInstance,
    pc: { 'm2m:cin': { con } },
  });
  assert.equal(rsp.rsc, 2001);
}

for (const serialization of ['cbor', 'json', 'xml'] as const) {
  test(`deleting the <AE> leads to re-registration with the stored stem (${serialization})`, async () => {
    const reqs: RequestPrimitive[] = [];
    const h = await startHarness({
      config: (registrar) => {
        watch(registrar, reqs);
        return { serializations: [serialization] };
      },
    });
    try {
      await waitFor(() => counterReadings(h) >= 1, 'a first counter reading');
      assert.equal(aeCreates(reqs).length, 1);
      await remove(h, 'cse-in/e2e-gw');
      assert.equal(h.registrar.cse.resource('cse-in/e2e-gw/counter'), undefined);

      await waitFor(() => aeCreates(reqs).length === 2, 'a second <AE> CREATE');
      const again = aeCreates(reqs)[1];
      assert.equal(again?.fr, 'Ce2e-gw', 'registered again with the stored stem');
      assert.equal(h.registrar.connections().length, 1, 'on the same connection');
      const after = counterReadings(h);
      await waitFor(() => counterReadings(h) >= after + 2, 'readings flowing again');
      assert.ok(h.registrar.cse.resource('cse-in/e2e-gw/counter'), 'the container is back');
      assert.ok(h.registrar.cse.resource('cse-in/e2e-gw/switch/command'), 'the command container is back');
      assert.ok(
        h.registrar.cse.resource('cse-in/e2e-gw/switch/command/m2m-agent-sub'),
        'the subscription is back',
      );
      assert.equal(h.agent.registration.aeId, 'Ce2e-gw');
      assert.equal(h.agent.snapshot().outbox.quarantined, 0, 'no reading was given up');

      // Commands reach the agent through the new subscription.
      const switched = (): boolean =>
        h.instances.some(
          (e) =>
            /^cse-in\/e2e-gw\/switch\/[^/]+$/.test(e.path) &&
            (JSON.parse(String(e.resource.con)) as { v?: number }[])[0]?.v === 1,
        );
      await commandSwitch(h, 'on');
      await waitFor(switched, 'the switch turned on');
      assert.equal(aeCreates(reqs).length, 2, 'registered exactly once more');
    } finally {
      await h.close();
    }
  });
}

test('a deleted container is re-created without registering again', async () => {
  const reqs: RequestPrimitive[] = [];
  const h = await startHarness({
    config: (registrar) => {
      watch(registrar, reqs);
      return { serializations: ['json'] };
    },
  });
  try {
    await waitFor(() => counterReadings(h) >= 1, 'a first counter reading');
    await remove(h, 'cse-in/e2e-gw/counter');
    const containerCreates = (): number =>
      reqs.filter(
        (r) =>
          r.op === Operation.Create &&
          r.ty === ResourceType.Container &&
          r.pc?.['m2m:cnt'] !== undefined &&
          (r.pc['m2m:cnt'] as { rn?: string }).rn === 'counter',
      ).length;
    await waitFor(
      () => containerCreates() === 2 && h.registrar.cse.resource('cse-in/e2e-gw/counter') !== undefined,
      'the counter container re-created',
    );
    const before = counterReadings(h);
    await waitFor(() => counterReadings(h) > before, 'readings in the new container');
    assert.equal(aeCreates(reqs).length, 1, 'no second registration');
    assert.equal(aeRetrieves(reqs).length, 1, 'one registration check');
  } finally {
    await h.close();
  }
});

/** Wraps the real client so that every reading for `counter` is refused with `rsc`. */
function refusingCounter(rsc: number): Connect {
  return async (opts) => {
    const c = await wsConnect(opts);
    return withRequest(c, async (req, o) => {
      const rsp = await c.request(req, o);
      if (req.ty === ResourceType.ContentInstance && req.to.endsWith('/counter'))
        return { rsc, rqi: req.rqi, rvi: req.rvi ?? '3', pc: { 'm2m:dbg': 'injected refusal' } };
      return rsp;
    });
  };
}

for (const rsc of [4004, 4103]) {
  test(`a persistent ${rsc} on one container causes one registration check, no registration loop`, async () => {
    const reqs: RequestPrimitive[] = [];
    const h = await startHarness({
      config: (registrar) => {
        watch(registrar, reqs);
        return { serializations: ['json'] };
      },
      start: { connect: refusingCounter(rsc) },
    });
    try {
      // Several counter readings meet the refusal while the switch keeps working.
      await waitFor(
        () =>
          reqs.filter((r) => r.ty === ResourceType.ContentInstance && r.to.endsWith('/counter')).length >= 4,
        'four counter attempts',
        12_000,
      );
      await commandSwitch(h, 'on');
      await waitFor(
        () =>
          h.instances.some(
            (e) => e.path.startsWith('cse-in/e2e-gw/switch/') && String(e.resource.con).includes('"v":1'),
          ),
        'the switch still reports',
      );
      assert.equal(aeCreates(reqs).length, 1, 'registered once, never again');
      assert.equal(aeRetrieves(reqs).length, 1, 'one registration check (rate limited)');
      const snap = h.agent.snapshot();
      assert.ok(snap.outbox.depth >= 1, 'the refused readings are kept for later');
      assert.equal(snap.outbox.quarantined, 0, 'and not given up yet');
      assert.equal(h.agent.registration.aeId, 'Ce2e-gw');
    } finally {
      await h.close();
    }
  });
}
