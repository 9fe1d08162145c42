/** Subprotocol negotiation: the pure choice, and raw handshakes with both header forms. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { chooseSubprotocol, offeredSubprotocols } from '../../src/cse/subprotocol-choice.js';
import {
  ACME_QUIRKS,
  MOBIUS_QUIRKS,
  STANDARD_QUIRKS,
  startRegistrar,
  type Registrar,
} from '../../src/cse/index.js';
import { rawHandshake } from './support/raw-client.js';

describe('offeredSubprotocols', () => {
  test('one comma-separated header and several headers give the same ordered list', () => {
    const one = offeredSubprotocols([
      'Host',
      'x',
      'Sec-WebSocket-Protocol',
      'oneM2M.cbor, oneM2M.json,oneM2M.xml',
    ]);
    const many = offeredSubprotocols([
      'sec-websocket-protocol',
      'oneM2M.cbor',
      'Host',
      'x',
      'Sec-WebSocket-Protocol',
      'oneM2M.json, oneM2M.xml',
    ]);
    assert.deepEqual(one, ['oneM2M.cbor', 'oneM2M.json', 'oneM2M.xml']);
    assert.deepEqual(many, one);
    assert.deepEqual(offeredSubprotocols(['Host', 'x']), []);
  });
});

describe('chooseSubprotocol', () => {
  test('standard: the first offered name it supports, spelled as offered', () => {
    assert.equal(chooseSubprotocol(['chat', 'oneM2M.json', 'oneM2M.cbor'], STANDARD_QUIRKS), 'oneM2M.json');
    assert.equal(chooseSubprotocol(['oneM2M.R2.0.cbor', 'oneM2M.json'], STANDARD_QUIRKS), 'oneM2M.R2.0.cbor');
    assert.equal(chooseSubprotocol(['onem2m.r2.0.json'], STANDARD_QUIRKS), 'onem2m.r2.0.json');
    assert.equal(chooseSubprotocol(['chat', 'mqtt'], STANDARD_QUIRKS), undefined);
  });
  test('ACME: its own order among json and cbor; no xml, no legacy names', () => {
    assert.equal(chooseSubprotocol(['oneM2M.cbor', 'oneM2M.json'], ACME_QUIRKS), 'oneM2M.json');
    assert.equal(chooseSubprotocol(['oneM2M.cbor'], ACME_QUIRKS), 'oneM2M.cbor');
    assert.equal(chooseSubprotocol(['oneM2M.xml'], ACME_QUIRKS), undefined);
    assert.equal(chooseSubprotocol(['oneM2M.R2.0.json'], ACME_QUIRKS), undefined);
  });
  test('Mobius: only the first name, and only a legacy JSON name', () => {
    assert.equal(chooseSubprotocol(['oneM2M.R2.0.json', 'oneM2M.json'], MOBIUS_QUIRKS), 'oneM2M.R2.0.json');
    assert.equal(chooseSubprotocol(['onem2m.r2.0.json'], MOBIUS_QUIRKS), 'onem2m.r2.0.json');
    assert.equal(chooseSubprotocol(['oneM2M.json', 'oneM2M.R2.0.json'], MOBIUS_QUIRKS), undefined);
    assert.equal(chooseSubprotocol(['oneM2M.cbor', 'oneM2M.R2.0.json'], MOBIUS_QUIRKS), undefined);
  });
});

describe('handshake over a raw socket', () => {
  let reg: Registrar;
  before(async () => {
    reg = await startRegistrar();
  });
  after(async () => {
    await reg.close();
  });

  test('one header with a comma list: the first supported name wins', async () => {
    const r = await rawHandshake(reg.port, [['Sec-WebSocket-Protocol', 'chat, oneM2M.cbor, oneM2M.json']]);
    assert.equal(r.status, 101);
    assert.equal(r.headers['sec-websocket-protocol'], 'oneM2M.cbor');
    r.client?.destroy();
  });

  test('several headers: read in order as one list', async () => {
    const r = await rawHandshake(reg.port, [
      ['Sec-WebSocket-Protocol', 'chat'],
      ['Sec-WebSocket-Protocol', 'oneM2M.json, oneM2M.cbor'],
    ]);
    assert.equal(r.status, 101);
    assert.equal(r.headers['sec-websocket-protocol'], 'oneM2M.json');
    r.client?.destroy();
  });

  test('a legacy name is accepted and echoed as offered', async () => {
    const r = await rawHandshake(reg.port, [['Sec-WebSocket-Protocol', 'oneM2M.R2.0.json']]);
    assert.equal(r.status, 101);
    assert.equal(r.headers['sec-websocket-protocol'], 'oneM2M.R2.0.json');
    r.client?.destroy();
  });

  test('nothing supported, or no offer at all: HTTP 400 naming what is served', async () => {
    const none = await rawHandshake(reg.port, [['Sec-WebSocket-Protocol', 'chat, mqtt']]);
    assert.equal(none.status, 400);
    assert.match(none.body, /oneM2M\.json/);
    const absent = await rawHandshake(reg.port, []);
    assert.equal(absent.status, 400);
    assert.match(absent.body, /mandatory/);
    assert.equal(reg.connections().length, 0);
  });
});
