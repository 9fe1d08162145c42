/**
 * The `cost` bench's baseline process: a bare `ws` client that sends pre-encoded requests (the
 * agent's own frames, captured on the wire) at each whole second, all of one tick together as the
 * agent's devices fire together, and reads the answers. Nothing else: no outbox, no files, no
 * decoding: the floor for this stack at this rate.
 * Argument: a JSON file `{ url, subprotocol, deflate, frames: [{ b64, binary }] }`.
 */
import { readFileSync } from 'node:fs';
import WebSocket from 'ws';

interface Plan {
  readonly url: string;
  readonly subprotocol: string;
  /** `ws`'s perMessageDeflate option: the agent's own offer, or false. */
  readonly deflate: false | Record<string, unknown>;
  readonly frames: readonly { readonly b64: string; readonly binary: boolean }[];
}

const plan = JSON.parse(readFileSync(process.argv[2] ?? '', 'utf8')) as Plan;
const frames = plan.frames.map((f) => ({ data: Buffer.from(f.b64, 'base64'), binary: f.binary }));
const ws = new WebSocket(plan.url, [plan.subprotocol], {
  perMessageDeflate: plan.deflate,
});
ws.on('message', () => undefined);
ws.on('error', (err) => {
  process.stderr.write(`baseline: ${err.message}\n`);
  process.exit(1);
});
ws.once('open', () => {
  const tick = (): void => {
    for (const f of frames) ws.send(f.data, { binary: f.binary });
    setTimeout(tick, 1000 - (Date.now() % 1000));
  };
  setTimeout(tick, 1000 - (Date.now() % 1000));
});
