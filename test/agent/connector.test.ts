import { test } from 'node:test';
import assert from 'node:assert/strict';
import { contentSerializations, createConnector, subprotocolOffers } from '../../src/agent/connector.js';
import { COMPAT_PRESETS } from '../../src/config/compat.js';
import type { CompatSwitches } from '../../src/config/types.js';
import type { Connection, ConnectOptions } from '../../src/binding/ws/types.js';
import { WsConnectionRefusedError, WsHandshakeFailedError } from '../../src/binding/ws/errors.js';
import { codecFor, serializationOf } from '../../src/codec/index.js';
import { silentLogger } from '../../src/util/log.js';

const { standard, acme, mobius } = COMPAT_PRESETS;

test('standard: every configured serialization in preference order, in one offer', () => {
  assert.deepEqual(subprotocolOffers(['cbor', 'json', 'xml'], standard), [
    ['oneM2M.cbor', 'oneM2M.json', 'oneM2M.xml'],
  ]);
  assert.deepEqual(subprotocolOffers(['xml'], standard), [['oneM2M.xml']]);
});

test('acme: CBOR preferred is offered alone, JSON alone as the fallback; XML is never offered', () => {
  assert.deepEqual(subprotocolOffers(['cbor', 'json'], acme), [['oneM2M.cbor'], ['oneM2M.json']]);
  assert.deepEqual(subprotocolOffers(['cbor', 'json', 'xml'], acme), [['oneM2M.cbor'], ['oneM2M.json']]);
  assert.deepEqual(subprotocolOffers(['xml', 'cbor', 'json'], acme), [['oneM2M.cbor'], ['oneM2M.json']]);
  assert.deepEqual(subprotocolOffers(['cbor'], acme), [['oneM2M.cbor']]);
  // JSON preferred: both in one offer is fine (ACME picks JSON by its own order anyway).
  assert.deepEqual(subprotocolOffers(['json', 'cbor'], acme), [['oneM2M.json', 'oneM2M.cbor']]);
});

test('mobius: only the legacy JSON name, whatever is configured', () => {
  assert.deepEqual(subprotocolOffers(['cbor', 'json', 'xml'], mobius), [['oneM2M.R2.0.json']]);
  assert.deepEqual(subprotocolOffers(['json'], mobius), [['oneM2M.R2.0.json']]);
});

test('csz: the negotiated serialization first, then the other configured ones', () => {
  assert.deepEqual(contentSerializations('cbor', ['json', 'cbor', 'xml']), [
    'application/cbor',
    'application/json',
    'application/xml',
  ]);
  assert.deepEqual(contentSerializations('json', ['json']), ['application/json']);
});

/** A stand-in for the binding: records each handshake, refuses the offers listed in `refuse`. */
function fakeConnect(refuse: (offer: readonly string[]) => Error | undefined): {
  calls: ConnectOptions[];
  connect: (o: ConnectOptions) => Promise<Connection>;
} {
  const calls: ConnectOptions[] = [];
  return {
    calls,
    connect: (o) => {
      calls.push(o);
      const err = refuse(o.offer ?? []);
      if (err) return Promise.reject(err);
      const name = o.offer?.[0] ?? 'oneM2M.json';
      const codec = codecFor(serializationOf(name) ?? 'json');
      const conn: Connection = {
        subprotocol: name,
        codec,
        serialization: codec.serialization,
        inFlight: 0,
        isOpen: true,
        request: () => Promise.reject(new Error('not used')),
        close: () => Promise.resolve({ code: 1000, reason: '', local: true }),
        closed: new Promise(() => undefined),
      };
      return Promise.resolve(conn);
    },
  };
}

function connector(
  compat: CompatSwitches,
  origin: () => string | undefined,
  refuse: (offer: readonly string[]) => Error | undefined = () => undefined,
) {
  const fake = fakeConnect(refuse);
  const c = createConnector({
    connect: fake.connect,
    base: { url: 'ws://127.0.0.1:1/' },
    serializations: ['cbor', 'json'],
    compat,
    origin,
    logger: silentLogger,
  });
  return { ...c, calls: fake.calls };
}

test('acme: X-M2M-Origin carries the stem, later the AE-ID; never a bare C', async () => {
  let origin: string | undefined = 'C';
  const c = connector(acme, () => origin);
  await c.connect();
  assert.equal(c.calls[0]?.headers, undefined, 'a bare C is no originator to announce');
  assert.equal(c.originSent(), undefined);
  origin = 'C7f3a';
  await c.connect();
  assert.deepEqual(c.calls[1]?.headers, { 'X-M2M-Origin': 'C7f3a' });
  assert.equal(c.originSent(), 'C7f3a');
  origin = undefined;
  await c.connect();
  assert.equal(c.calls[2]?.headers, undefined);
});

test('standard and mobius send no X-M2M-Origin', async () => {
  for (const compat of [standard, mobius]) {
    const c = connector(compat, () => 'Cbarn');
    await c.connect();
    assert.equal(c.calls[0]?.headers, undefined);
    assert.equal(c.originSent(), undefined);
  }
});

test('a refused handshake falls back to the next offer; a connection failure does not', async () => {
  const c = connector(
    acme,
    () => 'Cbarn',
    (offer) =>
      offer[0] === 'oneM2M.cbor'
        ? new WsHandshakeFailedError(400, 'oneM2M.cbor is not served here')
        : undefined,
  );
  const conn = await c.connect();
  assert.deepEqual(
    c.calls.map((x) => x.offer),
    [['oneM2M.cbor'], ['oneM2M.json']],
  );
  assert.equal(conn.subprotocol, 'oneM2M.json');
  assert.deepEqual(c.calls[1]?.headers, { 'X-M2M-Origin': 'Cbarn' });

  const down = connector(
    acme,
    () => 'Cbarn',
    () => new WsConnectionRefusedError('127.0.0.1:1'),
  );
  await assert.rejects(down.connect(), { code: 'WS_CONNECTION_REFUSED' });
  assert.equal(down.calls.length, 1, 'no point offering JSON to a registrar that is down');

  const none = connector(
    acme,
    () => 'Cbarn',
    () => new WsHandshakeFailedError(400, 'no'),
  );
  await assert.rejects(none.connect(), { code: 'WS_HANDSHAKE_FAILED' });
  assert.equal(none.calls.length, 2);
});
