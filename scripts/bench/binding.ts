/**
 * The WebSocket binding client against raw `ws`. For each serialization: round trips per second
 * of a create-contentInstance request through `connect()`/`request()`, one in flight and 16
 * pipelined, beside raw `ws` round trips of the same bytes against the same responder (the
 * baseline: what the socket allows without encoding, decoding and correlation); and the bytes
 * one request puts on the wire, WebSocket header and client mask included (RFC 6455 5.2).
 * Goals (design.md): pipelined ratio >= 0.8; CBOR bytes <= 0.85 x JSON.
 * To tell where a gap comes from, `cost.codec.<s>` is the codec's share of one round trip
 * (encode the request, decode the response, measured alone) and `cost.binding.<s>` what a
 * pipelined round trip through the binding costs beyond the raw one (codec included).
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';
import { connect } from '../../src/binding/ws/client.js';
import { codecFor, subprotocolName, type Serialization } from '../../src/codec/index.js';
import type { RequestPrimitive, ResponsePrimitive } from '../../src/protocol/primitive.js';
import type { Bench, BenchOptions, Figure } from './types.js';

const FORMATS: readonly Serialization[] = ['cbor', 'json', 'xml'];
const PIPELINE = 16;
/** Every rqi has this many characters, so the encoded sizes never vary. */
const RQI_WIDTH = 8;
const PLACEHOLDER = 'Q'.repeat(RQI_WIDTH);

const SENML = [{ bn: 'urn:dev:barn-temp:', n: 'temperature', u: 'Cel', v: 21.5, t: 1764150000.123 }];

/** The create-contentInstance request every figure uses. */
export function createCin(rqi: string): RequestPrimitive {
  return {
    op: 1,
    to: 'cse-in/barn-gw-1/temperature',
    fr: 'Cbarn-gw-1',
    rqi,
    rvi: '3',
    ty: 4,
    pc: { 'm2m:cin': { cnf: 'application/senml+json:0', con: SENML } },
  };
}

/** A typical 2001 answer (rcn 0 would be smaller; registrars answer rcn 1 by default). */
function createdResponse(rqi: string): ResponsePrimitive {
  return {
    rsc: 2001,
    rqi,
    rvi: '3',
    ot: '20251126T100000,123456',
    pc: {
      'm2m:cin': {
        rn: 'cin_7f3a9c',
        ri: 'cin7f3a9c',
        pi: 'cnt4b21e0',
        ty: 4,
        ct: '20251126T100000,123456',
        lt: '20251126T100000,123456',
        st: 0,
        cs: 97,
        cnf: 'application/senml+json:0',
        con: SENML,
      },
    },
  };
}

/** RFC 6455 5.2: 2/4/10 header bytes by payload length, plus the 4-byte mask of a client frame. */
export function clientFrameBytes(payloadBytes: number): number {
  const header = payloadBytes <= 125 ? 2 : payloadBytes <= 0xffff ? 4 : 10;
  return header + 4 + payloadBytes;
}

function encoded(s: Serialization, p: RequestPrimitive | ResponsePrimitive): Buffer {
  const out = codecFor(s).encode(p);
  return typeof out === 'string' ? Buffer.from(out) : Buffer.from(out);
}

/** Where the rqi sits in every encoding of this template (checked to be the same for any rqi). */
function rqiOffset(s: Serialization, make: (rqi: string) => RequestPrimitive | ResponsePrimitive): number {
  const a = encoded(s, make(PLACEHOLDER));
  const b = encoded(s, make('0'.repeat(RQI_WIDTH)));
  const at = a.indexOf(PLACEHOLDER);
  if (at < 0 || a.length !== b.length || b.indexOf('0'.repeat(RQI_WIDTH), at) !== at) {
    throw new Error(`${s}: the rqi does not sit at a fixed offset`);
  }
  return at;
}

/**
 * The responder: answers each message with a pre-encoded response of fixed size into which it
 * copies the request's rqi. The raw baseline and the binding client talk to the same responder.
 */
async function startResponder(s: Serialization): Promise<{ url: string; close: () => Promise<void> }> {
  const reqAt = rqiOffset(s, createCin);
  const rspAt = rqiOffset(s, createdResponse);
  const template = encoded(s, createdResponse(PLACEHOLDER));
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    ws.on('message', (data: Buffer, isBinary) => {
      const rsp = Buffer.from(template);
      data.copy(rsp, rspAt, reqAt, reqAt + RQI_WIDTH);
      ws.send(rsp, { binary: isBinary });
    });
  });
  return {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/`,
    close: async () => {
      for (const c of wss.clients) c.terminate();
      await new Promise<void>((r) => {
        wss.close(() => {
          r();
        });
      });
    },
  };
}

/** Runs `workers` loops of `roundTrip` for `ms` and returns round trips per second. */
async function rate(ms: number, workers: number, roundTrip: () => Promise<void>): Promise<number> {
  let count = 0;
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (performance.now() < end) {
        await roundTrip();
        count++;
      }
    }),
  );
  return count / ((performance.now() - start) / 1000);
}

/** Raw ws client: sends the request bytes, answers come back in order (FIFO). */
async function rawClient(
  url: string,
  s: Serialization,
): Promise<{ roundTrip: () => Promise<void>; close: () => void }> {
  const ws = new WebSocket(url, [subprotocolName(s)], { perMessageDeflate: false });
  await once(ws, 'open');
  const frame = encoded(s, createCin('0'.repeat(RQI_WIDTH)));
  const binary = codecFor(s).frame === 'binary';
  const waiting: (() => void)[] = [];
  ws.on('message', () => waiting.shift()?.());
  return {
    roundTrip: () =>
      new Promise<void>((resolve) => {
        waiting.push(resolve);
        ws.send(frame, { binary });
      }),
    close: () => {
      ws.terminate();
    },
  };
}

/** Microseconds the codec spends per round trip: encode one request, decode one response. */
function codecCostUs(s: Serialization, ms: number): number {
  const codec = codecFor(s);
  const rsp = encoded(s, createdResponse('0'.repeat(RQI_WIDTH)));
  const input = codec.frame === 'text' ? rsp.toString('utf8') : rsp;
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 100; i++) {
      codec.encode(createCin(String(n + i).padStart(RQI_WIDTH, '0')));
      codec.decode(input);
    }
    n += 100;
  }
  return ((performance.now() - start) * 1000) / n;
}

async function measure(s: Serialization, mode: 'single' | 'pipelined', opts: BenchOptions): Promise<Figure> {
  const responder = await startResponder(s);
  const workers = mode === 'single' ? 1 : PIPELINE;
  const rounds = opts.full ? 5 : 2;
  const ms = opts.full ? 2000 : 600;
  try {
    const raw = await rawClient(responder.url, s);
    const conn = await connect({ url: responder.url, serializations: [s], pingIntervalMs: 0 });
    let n = 0;
    const viaBinding = async (): Promise<void> => {
      const rqi = String(n++ % 1e8).padStart(RQI_WIDTH, '0');
      const rsp = await conn.request(createCin(rqi));
      if (rsp.rqi !== rqi) throw new Error(`response for ${rsp.rqi} delivered to ${rqi}`);
    };
    await rate(200, workers, raw.roundTrip); // warm-up both paths
    await rate(200, workers, viaBinding);
    let bestRaw = 0;
    let bestBinding = 0;
    // Alternate the two so that load from elsewhere on the machine hits both alike; keep the best.
    for (let i = 0; i < rounds; i++) {
      bestRaw = Math.max(bestRaw, await rate(ms, workers, raw.roundTrip));
      bestBinding = Math.max(bestBinding, await rate(ms, workers, viaBinding));
    }
    raw.close();
    await conn.close(1000, '', 0);
    opts.note(`${mode} ${s}: binding ${bestBinding.toFixed(0)}/s, raw ${bestRaw.toFixed(0)}/s`);
    return {
      name: `roundtrip.${mode}.${s}`,
      value: Math.round(bestBinding),
      unit: 'req/s',
      baseline: Math.round(bestRaw),
      ratio: Number((bestBinding / bestRaw).toFixed(3)),
    };
  } finally {
    await responder.close();
  }
}

function bytesFigures(): Figure[] {
  const bytes = (s: Serialization): number =>
    clientFrameBytes(encoded(s, createCin('0'.repeat(RQI_WIDTH))).length);
  const json = bytes('json');
  return FORMATS.map((s) => {
    const value = bytes(s);
    return s === 'json'
      ? { name: `bytes.create-cin.${s}`, value, unit: 'B' }
      : {
          name: `bytes.create-cin.${s}`,
          value,
          unit: 'B',
          baseline: json,
          ratio: Number((value / json).toFixed(3)),
        };
  });
}

export const bindingBench: Bench = {
  name: 'binding',
  async run(opts) {
    const figures: Figure[] = [];
    const costs: Figure[] = [];
    for (const s of FORMATS) {
      figures.push(await measure(s, 'single', opts));
      const piped = await measure(s, 'pipelined', opts);
      figures.push(piped);
      const us = (rate: number | undefined): number => (rate ? 1e6 / rate : 0);
      const beyondRaw = us(piped.value) - us(piped.baseline);
      costs.push({ name: `cost.binding.${s}`, value: Number(beyondRaw.toFixed(2)), unit: 'us/req' });
      costs.push({
        name: `cost.codec.${s}`,
        value: Number(codecCostUs(s, opts.full ? 2000 : 300).toFixed(2)),
        unit: 'us/req',
      });
    }
    return [...figures, ...bytesFigures(), ...costs];
  },
};
