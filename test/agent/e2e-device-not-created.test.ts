/**
 * A device whose driver cannot even be created (bad params reaching the running agent): the agent
 * starts anyway, its other devices run, `status` counts the failure with its reason, and a command
 * for that device is answered 5000 naming the reason; the agent keeps running.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest, isResponse, type ResponsePrimitive } from '../../src/protocol/primitive.js';
import type { PrimitiveEvent } from '../../src/cse/registrar-events.js';

test('a device that cannot be created is shown in status and refuses commands; the others run', async () => {
  const wire: PrimitiveEvent[] = [];
  const h = await startHarness({
    config: (registrar) => {
      registrar.on('primitive', (e) => wire.push(e));
      return { serializations: ['json'] };
    },
  });
  try {
    const broken = {
      ...h.config,
      devices: h.config.devices.map((d) =>
        d.name === 'switch' ? { ...d, params: { ...d.params, waveform: 'no-such-waveform' } } : d,
      ),
    };
    const agent = await h.restart(broken);
    const sw = agent.snapshot().devices.switch;
    assert.equal(sw?.errors, 1);
    assert.equal(sw.readings, 0);
    assert.match(sw.lastError ?? '', /waveform/);

    await waitFor(
      () => h.registrar.cse.resource('cse-in/e2e-gw/switch/command/m2m-agent-sub') !== undefined,
      'the command subscription',
    );
    const counted = h.instances.filter((e) => e.path.startsWith('cse-in/e2e-gw/counter/')).length;
    await waitFor(
      () => h.instances.filter((e) => e.path.startsWith('cse-in/e2e-gw/counter/')).length > counted,
      'a reading of the device that runs',
    );

    const rsp = await h.registrar.cse.handle({
      op: Operation.Create,
      to: 'cse-in/e2e-gw/switch/command',
      fr: 'Cuser',
      rqi: 'cmd-broken',
      rvi: '3',
      ty: ResourceType.ContentInstance,
      pc: { 'm2m:cin': { con: 'on' } },
    });
    assert.equal(rsp.rsc, 2001);
    const notify = (): PrimitiveEvent | undefined =>
      wire.find(
        (e) => e.direction === 'out' && isRequest(e.primitive) && e.primitive.op === Operation.Notify,
      );
    await waitFor(() => notify() !== undefined, 'the NOTIFY');
    const rqi = notify()?.primitive.rqi;
    const answered = (): PrimitiveEvent | undefined =>
      wire.find((e) => e.direction === 'in' && isResponse(e.primitive) && e.primitive.rqi === rqi);
    await waitFor(() => answered() !== undefined, 'the answer to the NOTIFY');
    const answer = answered()?.primitive as ResponsePrimitive;
    assert.equal(answer.rsc, 5000);
    assert.match(JSON.stringify(answer.pc), /switch is not running: .*waveform/);
    assert.equal(agent.snapshot().devices.switch?.errors, 1, 'a refused command on a device that never ran');
  } finally {
    await h.close();
  }
});
