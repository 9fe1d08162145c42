/**
 * The uplink's decisions, with a fake outbox queue and a fake connection on a manual clock:
 * success acks, 4105 with idempotent names acks, a permanent refusal quarantines, 5xxx and
 * timeouts are retried later (and given up after the attempt limit), a 4004/4103 triggers one
 * registration check, never a loop.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Uplink, type QueuedEntry, type UplinkQueue } from '../../src/agent/uplink.js';
import { encodeReadingValues } from '../../src/agent/reading-queue.js';
import type { Connection } from '../../src/binding/ws/types.js';
import {
  WsLinkClosedError,
  WsMessageTooLargeError,
  WsRequestTimeoutError,
} from '../../src/binding/ws/errors.js';
import { codecFor, type Serialization } from '../../src/codec/index.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/protocol/primitive.js';
import { ManualClock } from '../../src/util/clock.js';
import { silentLogger } from '../../src/util/log.js';
import type { ContentFormat } from '../../src/config/types.js';

const SAMPLED_MS = Date.UTC(2026, 0, 1, 0, 0, 5);

class FakeQueue implements UplinkQueue {
  readonly entries: QueuedEntry[] = [];
  readonly acked: number[] = [];
  readonly rejected: { id: number; reason: string }[] = [];
  /** waitForAppend calls not settled yet (a drain must not pile them up). */
  pendingWaits = 0;
  maxPendingWaits = 0;
  private waiters: (() => void)[] = [];
  private nextId = 1;

  add(device: string, v: number, ec: QueuedEntry['ec'] = 'bestEffort', payload?: Uint8Array): number {
    const id = this.nextId++;
    this.entries.push({
      id,
      stream: device,
      ec,
      payload: payload ?? encodeReadingValues([{ n: 'value', v }]),
      correctedCreatedWallMs: SAMPLED_MS + id,
    });
    for (const w of this.waiters.splice(0)) w();
    return id;
  }
  next(
    n: number,
    skip: ReadonlySet<number>,
    skipStreams?: ReadonlySet<string>,
  ): Promise<readonly QueuedEntry[]> {
    return Promise.resolve(
      this.entries.filter((e) => !skip.has(e.id) && skipStreams?.has(e.stream) !== true).slice(0, n),
    );
  }
  ack(id: number): Promise<void> {
    this.acked.push(id);
    this.remove(id);
    return Promise.resolve();
  }
  reject(id: number, reason: string): Promise<void> {
    this.rejected.push({ id, reason });
    this.remove(id);
    return Promise.resolve();
  }
  waitForAppend(signal: AbortSignal): Promise<void> {
    this.pendingWaits++;
    this.maxPendingWaits = Math.max(this.maxPendingWaits, this.pendingWaits);
    return new Promise((resolve) => {
      const done = (): void => {
        this.pendingWaits--;
        signal.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal.addEventListener('abort', done, { once: true });
    });
  }
  private remove(id: number): void {
    const i = this.entries.findIndex((e) => e.id === id);
    if (i >= 0) this.entries.splice(i, 1);
  }
}

type Answer = (req: RequestPrimitive) => Promise<ResponsePrimitive> | ResponsePrimitive;

class FakeConnection implements Connection {
  readonly requests: RequestPrimitive[] = [];
  readonly codec;
  readonly subprotocol: string;
  inFlight = 0;
  maxInFlight = 0;
  isOpen = true;
  private closeIt!: () => void;
  readonly closed = new Promise<{ code: number; reason: string; local: boolean }>((resolve) => {
    this.closeIt = () => {
      resolve({ code: 1000, reason: '', local: true });
    };
  });
  constructor(
    public answer: Answer,
    serialization: Serialization = 'json',
  ) {
    this.codec = codecFor(serialization);
    this.subprotocol = `oneM2M.${serialization}`;
  }
  get serialization(): Serialization {
    return this.codec.serialization;
  }
  async request(req: RequestPrimitive): Promise<ResponsePrimitive> {
    this.requests.push(req);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.answer(req);
    } finally {
      this.inFlight--;
    }
  }
  close(): Promise<{ code: number; reason: string; local: boolean }> {
    this.isOpen = false;
    this.closeIt();
    return this.closed;
  }
}

const ok = (req: RequestPrimitive): ResponsePrimitive => ({ rsc: 2001, rqi: req.rqi, rvi: req.rvi ?? '3' });
const refuse =
  (rsc: number): Answer =>
  (req) => ({ rsc, rqi: req.rqi, rvi: req.rvi ?? '3', pc: { 'm2m:dbg': `scripted ${rsc}` } });

interface Setup {
  queue: FakeQueue;
  conn: FakeConnection;
  clock: ManualClock;
  recovers: number;
  delivered: number[];
  quarantined: string[];
  run(): { stop: () => Promise<void> };
}

function setup(
  answer: Answer,
  o: {
    idempotentNames?: boolean;
    maxInFlight?: number;
    contentFormat?: ContentFormat;
    serialization?: Serialization;
    recover?: () => Promise<void>;
  } = {},
): Setup {
  const queue = new FakeQueue();
  const conn = new FakeConnection(answer, o.serialization);
  const clock = new ManualClock();
  let rqi = 0;
  const s: Setup = {
    queue,
    conn,
    clock,
    recovers: 0,
    delivered: [],
    quarantined: [],
    run() {
      const uplink = new Uplink({
        queue,
        rvi: '3',
        rqi: () => `r${++rqi}`,
        aeId: () => 'Cbarn',
        aePath: () => 'cse-in/barn',
        contentFormat: () => o.contentFormat ?? 'senml+json',
        idempotentNames: o.idempotentNames ?? false,
        maxInFlight: o.maxInFlight ?? 4,
        requestTimeoutMs: 5000,
        recover: async () => {
          s.recovers++;
          await o.recover?.();
        },
        clock,
        logger: silentLogger,
        onDelivered: (e) => s.delivered.push(e.id),
        onQuarantined: (_e, reason) => s.quarantined.push(reason),
      });
      const ac = new AbortController();
      const done = uplink.drain(conn, ac.signal);
      return {
        stop: async () => {
          ac.abort();
          await done;
        },
      };
    },
  };
  return s;
}

/** Lets promise chains settle (the fakes answer synchronously or on the next tick). */
async function settle(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (cond()) return;
    await new Promise((r) => setImmediate(r));
  }
  assert.fail(`never happened: ${what}`);
}

test('success acks; the CREATE carries fr, to, rqi, rvi, ec and SenML with the sampling time', async () => {
  const s = setup(ok);
  const a = s.queue.add('barn-temp', 21.5, 'immediate');
  const b = s.queue.add('door', 1, 'latest');
  const d = s.run();
  await settle(() => s.queue.acked.length === 2, 'two acks');
  await d.stop();
  assert.deepEqual(s.queue.acked.sort(), [a, b]);
  assert.deepEqual(s.delivered.sort(), [a, b]);
  const [r1, r2] = s.conn.requests;
  assert.equal(r1?.op, Operation.Create);
  assert.equal(r1.ty, ResourceType.ContentInstance);
  assert.equal(r1.to, 'cse-in/barn/barn-temp');
  assert.equal(r1.fr, 'Cbarn');
  assert.equal(r1.rvi, '3');
  assert.equal(r1.ec, 2);
  assert.equal(r2?.ec, 4);
  assert.notEqual(r1.rqi, r2.rqi);
  const cin = r1.pc?.['m2m:cin'] as { cnf: string; con: string; rn?: string };
  assert.equal(cin.cnf, 'application/senml+json:0');
  assert.deepEqual(JSON.parse(cin.con), [{ bn: 'barn-temp:value', bt: (SAMPLED_MS + a) / 1000, v: 21.5 }]);
  assert.equal(cin.rn, undefined, 'no resource name without idempotentNames');
});

test('4105 CONFLICT acks when names are idempotent (a retry of a delivered reading)', async () => {
  const s = setup(refuse(4105), { idempotentNames: true });
  const id = s.queue.add('counter', 7);
  const d = s.run();
  await settle(() => s.queue.acked.length === 1, 'the ack');
  await d.stop();
  assert.deepEqual(s.queue.rejected, []);
  assert.equal((s.conn.requests[0]?.pc?.['m2m:cin'] as { rn?: string }).rn, `counter-${id}`);
});

test('4105 without idempotent names, and 4000, are permanent refusals: quarantined with the reason', async () => {
  for (const [rsc, idempotentNames] of [
    [4105, false],
    [4000, true],
  ] as const) {
    const s = setup(refuse(rsc), { idempotentNames });
    const id = s.queue.add('counter', 1);
    const d = s.run();
    await settle(() => s.queue.rejected.length === 1, `quarantine on ${rsc}`);
    await d.stop();
    assert.equal(s.queue.rejected[0]?.id, id);
    assert.match(s.queue.rejected[0]?.reason ?? '', new RegExp(`${rsc}.*scripted ${rsc}`));
    assert.deepEqual(s.queue.acked, []);
    assert.equal(s.conn.requests.length, 1, 'not retried');
    assert.equal(s.recovers, 0);
  }
});

test('5000 leaves the entry for later: resent after the retry delay, then acked', async () => {
  let calls = 0;
  const s = setup((req) => (++calls === 1 ? refuse(5000)(req) : ok(req)));
  const id = s.queue.add('counter', 1);
  const d = s.run();
  await settle(() => s.conn.requests.length === 1, 'the first attempt');
  await settle(() => s.clock.pendingTimers() > 0, 'a retry timer');
  s.clock.advance(999);
  await new Promise((r) => setImmediate(r));
  assert.equal(s.conn.requests.length, 1, 'not before the delay');
  s.clock.advance(1);
  await settle(() => s.queue.acked.length === 1, 'the retry acked');
  await d.stop();
  assert.deepEqual(s.queue.acked, [id]);
  assert.equal(s.conn.requests.length, 2);
  assert.notEqual(s.conn.requests[0]?.rqi, s.conn.requests[1]?.rqi, 'a new rqi per attempt');
});

test('a retried entry does not hold back the ones behind it', async () => {
  const s = setup((req) => (req.to.endsWith('/bad') ? refuse(5000)(req) : ok(req)));
  s.queue.add('bad', 1);
  const good = s.queue.add('good', 2);
  const d = s.run();
  await settle(() => s.queue.acked.includes(good), 'the second entry delivered');
  await d.stop();
  assert.equal(s.queue.entries.length, 1, 'the failed one is still queued');
});

/** The SenML value a CREATE carries (the sim counter value the test queued). */
function valueOf(req: RequestPrimitive): number {
  const cin = (req.pc as { 'm2m:cin': { con: string } })['m2m:cin'];
  return (JSON.parse(cin.con) as { v: number }[])[0]?.v ?? NaN;
}

test('after timeouts a stream keeps its order: newer readings wait for the retry, then one at a time', async () => {
  let stalled = true;
  const sent: { to: string; v: number }[] = [];
  const s = setup(
    (req) => {
      sent.push({ to: req.to, v: valueOf(req) });
      if (stalled && req.to.endsWith('/c')) return Promise.reject(new WsRequestTimeoutError(req.rqi, 5000));
      return ok(req);
    },
    { maxInFlight: 4 },
  );
  for (let v = 1; v <= 4; v++) s.queue.add('c', v);
  const d = s.run();
  await settle(() => sent.length === 4, 'four requests of c, all timing out');
  await settle(() => s.clock.pendingTimers() > 0, 'a retry timer');
  // Newer readings of c (and one of another stream) arrive while c waits for its retry.
  s.queue.add('c', 5);
  s.queue.add('c', 6);
  const other = s.queue.add('d', 100);
  await settle(() => s.queue.acked.includes(other), 'the other stream is not held up');
  assert.deepEqual(
    sent.filter((x) => x.to.endsWith('/c')).map((x) => x.v),
    [1, 2, 3, 4],
    'nothing newer of c before its retry',
  );
  stalled = false;
  s.clock.advance(1_000);
  await settle(() => s.queue.entries.length === 0, 'everything delivered');
  await d.stop();
  const cOrder = sent.filter((x) => x.to.endsWith('/c')).map((x) => x.v);
  assert.deepEqual(cOrder, [1, 2, 3, 4, 1, 2, 3, 4, 5, 6], 'resent oldest first, the newer ones after');
});

test('after a timeout nothing newer of the stream goes before the failed entry is resent', async () => {
  let failFirst = true;
  const s = setup(
    (req) => {
      if (failFirst) {
        failFirst = false;
        return Promise.reject(new WsRequestTimeoutError(req.rqi, 5000));
      }
      return ok(req);
    },
    { maxInFlight: 4 },
  );
  s.queue.add('c', 1);
  const d = s.run();
  await settle(() => s.clock.pendingTimers() > 0, 'a retry timer');
  for (let v = 2; v <= 6; v++) s.queue.add('c', v);
  // Let the drain react to the appends (no time passes on the manual clock meanwhile).
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(s.conn.requests.map(valueOf), [1], 'nothing newer before the retry is due');
  s.clock.advance(1_000);
  await settle(() => s.queue.entries.length === 0, 'everything delivered');
  await d.stop();
  assert.deepEqual(s.conn.requests.map(valueOf), [1, 1, 2, 3, 4, 5, 6]);
});

test('a timeout counts as an attempt: resent later; after the attempt limit it is quarantined', async () => {
  const s = setup((req) => Promise.reject(new WsRequestTimeoutError(req.rqi, 5000)));
  const id = s.queue.add('counter', 1);
  const d = s.run();
  for (let attempt = 1; attempt <= 8; attempt++) {
    await settle(() => s.conn.requests.length === attempt, `attempt ${attempt}`);
    if (attempt < 8) {
      await settle(() => s.clock.pendingTimers() > 0, 'a retry timer');
      s.clock.advance(300_000);
    }
  }
  await settle(() => s.queue.rejected.length === 1, 'given up');
  await d.stop();
  assert.equal(s.queue.rejected[0]?.id, id);
  assert.match(s.queue.rejected[0]?.reason ?? '', /gave up after 8 attempts: request timed out/);
});

test('a lost link leaves the entry queued without counting an attempt', async () => {
  const link: { conn?: FakeConnection } = {};
  const s = setup(() => {
    // As the binding does: the connection is down, pending requests fail with WS_LINK_CLOSED.
    void link.conn?.close();
    return Promise.reject(new WsLinkClosedError(1006, 'connection lost'));
  });
  link.conn = s.conn;
  s.queue.add('counter', 1);
  const d = s.run();
  await settle(() => !s.conn.isOpen && s.conn.inFlight === 0, 'the link lost');
  await d.stop();
  assert.equal(s.conn.requests.length, 1);
  assert.equal(s.queue.entries.length, 1);
  assert.deepEqual(s.queue.rejected, []);
  assert.equal(s.clock.pendingTimers(), 0, 'no retry scheduled: it goes out on the next connection');
});

test('a request that cannot be sent on an open link is retried later, not resent in a spin', async () => {
  const s = setup(() => Promise.reject(new Error('cannot encode')));
  s.queue.add('counter', 1);
  const d = s.run();
  await settle(() => s.clock.pendingTimers() > 0, 'a retry timer');
  for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
  assert.equal(s.conn.requests.length, 1, 'one attempt until the delay passed');
  s.clock.advance(1000);
  await settle(() => s.conn.requests.length === 2, 'the second attempt');
  await d.stop();
});

test('a reading too large for the link is quarantined at once', async () => {
  const s = setup(() => Promise.reject(new WsMessageTooLargeError('out', 65_536, 70_000)));
  const id = s.queue.add('counter', 1);
  const d = s.run();
  await settle(() => s.queue.rejected.length === 1, 'quarantined');
  await d.stop();
  assert.equal(s.queue.rejected[0]?.id, id);
  assert.match(s.queue.rejected[0]?.reason ?? '', /exceeds 65536 bytes/);
});

test('4004 triggers one registration check, the entry is resent; a repeat is retried later, not rechecked', async () => {
  let gone = true;
  const s = setup((req) => (gone ? refuse(4004)(req) : ok(req)));
  const id = s.queue.add('counter', 1);
  const d = s.run();
  await settle(() => s.recovers === 1 && s.conn.requests.length === 2, 'check, then resend');
  // Still 4004 after the check: scheduled for a retry, no second check within the interval.
  await settle(() => s.clock.pendingTimers() > 0, 'a retry timer');
  assert.equal(s.recovers, 1);
  assert.deepEqual(s.queue.rejected, [], 'not quarantined for it');
  gone = false;
  s.clock.advance(1000);
  await settle(() => s.queue.acked.length === 1, 'delivered once the registrar answers');
  await d.stop();
  assert.deepEqual(s.queue.acked, [id]);
  assert.equal(s.recovers, 1);
});

test('4103 answers to several requests in flight cause a single registration check', async () => {
  let fixed = false;
  const s = setup((req) => (fixed ? ok(req) : refuse(4103)(req)), {
    recover: () => {
      fixed = true;
      return Promise.resolve();
    },
  });
  for (let i = 0; i < 4; i++) s.queue.add('counter', i);
  const d = s.run();
  await settle(() => s.queue.acked.length === 4, 'all four delivered after the check');
  await d.stop();
  assert.equal(s.recovers, 1);
  assert.deepEqual(s.queue.rejected, []);
});

test('never more requests in flight than maxInFlight', async () => {
  const held: (() => void)[] = [];
  const s = setup(
    (req) =>
      new Promise((resolve) => {
        held.push(() => {
          resolve(ok(req));
        });
      }),
    { maxInFlight: 2 },
  );
  for (let i = 0; i < 6; i++) s.queue.add('counter', i);
  const d = s.run();
  while (s.queue.acked.length < 6) {
    await settle(() => held.length > 0, 'a request in flight');
    held.shift()?.();
    await new Promise((r) => setImmediate(r));
  }
  await d.stop();
  assert.equal(s.conn.maxInFlight, 2);
  assert.equal(s.conn.requests.length, 6);
});

test('a drain of a backlog does not pile up waiters on the queue', async () => {
  const s = setup(
    (req) =>
      new Promise((resolve) =>
        setImmediate(() => {
          resolve(ok(req));
        }),
      ),
    { maxInFlight: 2 },
  );
  for (let i = 0; i < 40; i++) s.queue.add('counter', i);
  const d = s.run();
  await settle(() => s.queue.acked.length === 40, 'the backlog delivered');
  await d.stop();
  assert.ok(s.queue.maxPendingWaits <= 2, `at most a couple of waiters, saw ${s.queue.maxPendingWaits}`);
});

test('SenML CBOR is sent on a CBOR link only; a text link gets SenML JSON', async () => {
  for (const [serialization, cnf] of [
    ['cbor', 'application/senml+cbor:2'],
    ['json', 'application/senml+json:0'],
  ] as const) {
    const s = setup(ok, { contentFormat: 'senml+cbor', serialization });
    s.queue.add('counter', 3);
    const d = s.run();
    await settle(() => s.queue.acked.length === 1, 'delivered');
    await d.stop();
    assert.equal((s.conn.requests[0]?.pc?.['m2m:cin'] as { cnf: string }).cnf, cnf);
  }
});

test('an undecodable outbox record is quarantined, not sent', async () => {
  const s = setup(ok);
  s.queue.add('counter', 0, 'bestEffort', new TextEncoder().encode('not json'));
  const d = s.run();
  await settle(() => s.queue.rejected.length === 1, 'quarantined');
  await d.stop();
  assert.equal(s.conn.requests.length, 0);
});
