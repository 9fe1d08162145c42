/**
 * Polled commands (Mobius) are applied once, also across a restart: the agent remembers the
 * last command it applied in its identity file, so a restart does not replay an old `la`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor, type Harness } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { isRequest } from '../../src/protocol/primitive.js';
import type { PrimitiveEvent } from '../../src/cse/registrar-events.js';

function commandsApplied(h: Harness): number {
  const lines = (h.logger as unknown as { lines: { msg: string }[] }).lines;
  return lines.filter((l) => l.msg === 'command').length;
}

test('mobius: a restart does not apply the last polled command again', async () => {
  const wire: PrimitiveEvent[] = [];
  const h = await startHarness({
    registrar: { imitate: 'mobius' },
    recordLogs: true,
    config: (r) => {
      r.on('primitive', (e) => wire.push(e));
      return {
        registrar: {
          url: r.url,
          cseId: r.cse.cseId,
          cseName: r.cse.cseName,
          compat: { preset: 'mobius', pollCommandsSeconds: 1 },
        },
        serializations: ['json'],
      };
    },
  });
  const polls = (): number =>
    wire.filter(
      (e) =>
        e.direction === 'in' &&
        isRequest(e.primitive) &&
        e.primitive.to === 'cse-in/e2e-gw/switch/command/la',
    ).length;
  try {
    await waitFor(() => polls() >= 1, 'a first poll');
    const rsp = await h.registrar.cse.handle({
      op: Operation.Create,
      to: 'cse-in/e2e-gw/switch/command',
      fr: 'Cuser',
      rqi: 'cmd-on',
      rvi: '3',
      ty: ResourceType.ContentInstance,
      pc: { 'm2m:cin': { con: 'on' } },
    });
    assert.equal(rsp.rsc, 2001);
    await waitFor(() => commandsApplied(h) === 1, 'the command applied');
    await h.restart();
    const after = polls();
    await waitFor(() => polls() >= after + 2, 'two polls after the restart');
    assert.equal(commandsApplied(h), 1, 'not applied again after the restart');
  } finally {
    await h.close();
  }
});
