/**
 * A registrar that stops answering for a while (it drops the contentInstance CREATEs unanswered,
 * so they time out) and then resumes: every reading is delivered, and each device's readings are
 * created in the order they were taken, although the ones that timed out are sent again after
 * newer ones were taken (real WebSocket, real file outbox, the development registrar).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, waitFor } from '../helpers/agent-harness.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import { counters, sequenceOf } from './fixtures/fault-kit.js';

const DEVICES = 3;

test('per-stream order holds after a registrar stall that made requests time out', async () => {
  const produced = new Map<string, number[]>();
  const h = await startHarness({
    config: {
      devices: counters(DEVICES),
      link: {
        backoffFloorMs: 100,
        backoffCapMs: 1000,
        pingIntervalSeconds: 30,
        pongTimeoutSeconds: 10,
        requestTimeoutSeconds: 0.5,
        closeGraceSeconds: 1,
      },
    },
    start: {
      onReading: (device, readings) => {
        const list = produced.get(device) ?? [];
        for (const r of readings) if (r.v !== undefined) list.push(r.v);
        produced.set(device, list);
      },
    },
  });
  // Creation order per device, as the registrar stored them.
  const created = new Map<string, number[]>();
  const cse = h.registrar.cse;
  const handle = cse.handle.bind(cse);
  let stalled = false;
  let dropped = 0;
  cse.handle = (req, rctx) => {
    if (req.op === Operation.Create && req.ty === ResourceType.ContentInstance) {
      if (stalled) {
        dropped++;
        return new Promise(() => undefined); // never answered, never created
      }
      const cin = (req.pc as { 'm2m:cin': { con: string } })['m2m:cin'];
      const pack = JSON.parse(cin.con) as { bn: string; v: number }[];
      // bn is `<device>:` or, for a single reading, `<device>:<reading>`.
      const device = pack[0]?.bn.split(':')[0] ?? '?';
      created.set(device, [...(created.get(device) ?? []), pack[0]?.v ?? NaN]);
    }
    return handle(req, rctx);
  };
  const allDelivered = (): boolean =>
    [...produced].every(([device, values]) => {
      const got = new Set(created.get(device));
      return values.every((v) => got.has(v));
    });
  try {
    await waitFor(() => [...created.values()].flat().length >= DEVICES * 2, 'a few readings delivered');
    stalled = true;
    // Long enough for requests to time out, be retried, time out again, with newer readings taken.
    await waitFor(() => dropped >= DEVICES * 3, 'requests dropped during the stall', 20_000);
    stalled = false;
    await waitFor(allDelivered, 'every reading delivered after the stall', 30_000);
    for (let i = 0; i < DEVICES; i++) {
      const seq = sequenceOf(created.get(`c${i}`) ?? []);
      assert.deepEqual(seq.gaps, [], `c${i}: nothing lost`);
      assert.equal(seq.outOfOrder, 0, `c${i}: created in order: ${(created.get(`c${i}`) ?? []).join(',')}`);
    }
  } finally {
    await h.close();
  }
});
