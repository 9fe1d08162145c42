/** Shared set-up of the serial driver tests: a socat pty pair, the driver on one end, a peer on the other. */
import type { TestContext } from 'node:test';
import type { DeviceDriver } from '../../../src/drivers/types.js';
import { createPtyPair, haveSocat, openPeer } from '../../helpers/pty.js';
import type { PtyPair, PtyPeer } from '../../helpers/pty.js';
import { recordingContext } from '../context.js';
import type { RecordingContext } from '../context.js';

/** `skip` option for tests that need socat. */
export const needsSocat: string | false = haveSocat()
  ? false
  : 'socat is not installed (apt-get install -y socat)';

/** A driver opened on a fresh pty pair, with the peer end open; all closed after the test. */
export async function onPty<D extends DeviceDriver>(
  t: TestContext,
  make: (path: string) => D,
): Promise<{ driver: D; peer: PtyPeer; pair: PtyPair; ctx: RecordingContext }> {
  const pair = await createPtyPair();
  t.after(() => pair.cleanup());
  const driver = make(pair.a);
  const ctx = recordingContext();
  await driver.open(ctx);
  t.after(() => driver.close());
  const peer = await openPeer(pair.b);
  t.after(() => peer.close());
  return { driver, peer, pair, ctx };
}

/** The codes of the faults reported so far. */
export function faultCodes(ctx: RecordingContext): string[] {
  return ctx.faults.map((f) => (f as { code?: string }).code ?? f.message);
}

/**
 * Counts the bytes `driver` has received from its port (by wrapping its `onBytes`), so that a test
 * splitting a frame across two writes can wait until the first part has really arrived, instead
 * of sleeping and hoping the two writes are not read as one chunk.
 */
export function bytesReceived(driver: DeviceDriver): () => number {
  const d = driver as unknown as { onBytes(chunk: Buffer): void };
  const original = d.onBytes.bind(driver);
  let count = 0;
  d.onBytes = (chunk: Buffer): void => {
    count += chunk.length;
    original(chunk);
  };
  return () => count;
}
