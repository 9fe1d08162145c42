import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SerialConnection, serialReopenDelayMs } from '../../../src/drivers/serial/serial-connection.js';
import { systemClock } from '../../../src/util/clock.js';
import { memoryLogger } from '../../../src/util/log.js';
import { AgentError } from '../../../src/util/errors.js';
import { createPtyPair, haveSocat, openPeer } from '../../helpers/pty.js';

const skip = haveSocat() ? false : 'socat is not installed (apt-get install -y socat)';

async function until(pred: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!pred()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('reopen backoff doubles from 0.5 s up to 30 s', () => {
  assert.deepEqual([0, 1, 2, 3].map(serialReopenDelayMs), [500, 1000, 2000, 4000]);
  assert.equal(serialReopenDelayMs(10), 30_000);
  assert.equal(serialReopenDelayMs(1000), 30_000);
});

test('a missing port fails open with SERIAL_OPEN_FAILED', { skip }, async () => {
  const conn = new SerialConnection({
    settings: { path: '/dev/m2m-no-such-port', baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
    clock: systemClock,
    log: memoryLogger(),
    onData: () => undefined,
    onFault: () => undefined,
  });
  await assert.rejects(
    conn.open(),
    (e: unknown) => e instanceof AgentError && e.code === 'SERIAL_OPEN_FAILED' && e.retryable,
  );
  await conn.close();
});

test('bytes flow both ways; the port is reopened after it disappears and comes back', { skip }, async (t) => {
  const pair = await createPtyPair();
  t.after(() => pair.cleanup());
  const log = memoryLogger();
  let received = Buffer.alloc(0);
  const faults: Error[] = [];
  let opens = 0;
  const conn = new SerialConnection({
    settings: { path: pair.a, baudRate: 115200, dataBits: 8, parity: 'none', stopBits: 1 },
    clock: systemClock,
    log,
    onData: (c) => {
      received = Buffer.concat([received, c]);
    },
    onOpen: () => opens++,
    onFault: (e) => faults.push(e),
    reopenDelayMs: () => 50,
    presenceCheckMs: 100,
  });
  await conn.open();
  t.after(() => conn.close());
  assert.equal(opens, 1);
  let peer = await openPeer(pair.b);
  await peer.write('hello\n');
  await until(() => received.toString() === 'hello\n', 'first bytes');
  await conn.write(Buffer.from('ping'));
  assert.equal((await peer.take(4)).toString(), 'ping');

  await pair.unplug();
  await until(
    () => faults.some((f) => f instanceof AgentError && f.code === 'SERIAL_OPEN_FAILED'),
    'the loss to be reported',
  );
  assert.equal(conn.isOpen, false);
  await peer.close();
  await pair.plugIn();
  await until(() => opens === 2, 'the reopen');
  assert.ok(log.lines.some((l) => l.msg === 'serial port reopened'));
  peer = await openPeer(pair.b);
  t.after(() => peer.close());
  received = Buffer.alloc(0);
  await peer.write('again\n');
  await until(() => received.toString() === 'again\n', 'bytes after the reopen');
  await conn.close();
  assert.equal(conn.isOpen, false);
});

test(
  'a quick replug (node re-created at once) is noticed, by the hang-up or by the presence check',
  { skip },
  async (t) => {
    const pair = await createPtyPair();
    t.after(() => pair.cleanup());
    const faults: Error[] = [];
    let opens = 0;
    let received = '';
    const conn = new SerialConnection({
      settings: { path: pair.a, baudRate: 9600, dataBits: 8, parity: 'none', stopBits: 1 },
      clock: systemClock,
      log: memoryLogger(),
      onData: (c) => {
        received += c.toString();
      },
      onOpen: () => opens++,
      onFault: (e) => faults.push(e),
      reopenDelayMs: () => 20,
      presenceCheckMs: 300,
    });
    await conn.open();
    t.after(() => conn.close());
    await pair.unplug();
    await pair.plugIn();
    await until(() => opens === 2, 'the reopen');
    assert.ok(faults.length >= 1);
    const peer = await openPeer(pair.b);
    t.after(() => peer.close());
    await peer.write('back\n');
    await until(() => received === 'back\n', 'bytes on the new node');
  },
);
