/**
 * Seeded fuzz inputs per target: input `i` of a run depends only on (seed, i), so a run can be
 * resumed, split across processes, and any input regenerated from its index. Mostly mutations of
 * valid messages (the corpus), some structured random messages with lying lengths and deep
 * nesting, a few random bytes.
 */
import { cborCodec, jsonCodec, xmlCodec } from '../../../src/codec/index.js';
import type { Primitive } from '../../../src/protocol/primitive.js';

export type FuzzTarget = 'cbor' | 'json' | 'xml' | 'senml';
export const FUZZ_TARGETS: readonly FuzzTarget[] = ['cbor', 'json', 'xml', 'senml'];

/** A small fast PRNG (mulberry32): deterministic per seed, plenty for fuzzing. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Rng = () => number;
const int = (r: Rng, n: number): number => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)] as T;

const SENML = '[{"bn":"urn:dev:temp1:","bt":1.7e9,"n":"t","u":"Cel","v":21.5},{"n":"on","vb":true}]';

const PRIMITIVES: readonly Primitive[] = [
  {
    op: 1,
    to: '/cse-in',
    fr: 'Cdev',
    rqi: 'r1',
    rvi: '4',
    ty: 2,
    pc: { 'm2m:ae': { rn: 'dev', api: 'Ndev', rr: true, srv: ['4'], lbl: ['a', 'b'] } },
  },
  {
    rsc: 2001,
    rqi: 'r1',
    rvi: '4',
    pc: { 'm2m:ae': { rn: 'dev', ri: 'ae1', aei: 'Cdev', ct: '20250101T000000', poa: [] } },
  },
  {
    op: 1,
    to: 'dev/temp',
    fr: 'Cdev',
    rqi: 'r2',
    ty: 4,
    pc: { 'm2m:cin': { cnf: 'application/senml+json:0', con: SENML, rn: '0' } },
  },
  {
    op: 5,
    to: 'Cdev',
    fr: '/cse-in',
    rqi: 'n1',
    pc: {
      'm2m:sgn': { nev: { rep: { 'm2m:cin': { con: '1', cs: 1 } }, net: 3 }, sur: 'dev/led/sub', vrq: false },
    },
  },
  {
    rsc: 2000,
    rqi: 'd1',
    pc: { 'm2m:uril': ['cse-in/a', 'cse-in/b', 'cse-in/c/d'] },
    ot: '20250101T000000,5',
  },
  { rsc: 4004, rqi: 'x', pc: { 'm2m:dbg': 'not found' } },
  { op: 2, to: 'cse-in', fr: 'C', rqi: 'q', rcn: 4, fc: { fu: 1, ty: [3, 4], lim: 10 }, drt: 2 },
];

let corpora: Partial<Record<FuzzTarget, readonly Uint8Array[]>> = {};

/** Valid encodings every mutation starts from. */
export function corpus(target: FuzzTarget): readonly Uint8Array[] {
  const have = corpora[target];
  if (have) return have;
  const utf8 = (s: string): Uint8Array => Buffer.from(s, 'utf8');
  let items: Uint8Array[];
  if (target === 'cbor') items = PRIMITIVES.map((p) => cborCodec.encode(p) as Uint8Array);
  else if (target === 'json') items = PRIMITIVES.map((p) => utf8(jsonCodec.encode(p) as string));
  else if (target === 'xml') items = PRIMITIVES.map((p) => utf8(xmlCodec.encode(p) as string));
  else items = [SENML, '[{"n":"","v":1}]', '{"vb":false}', 'on', '0'].map(utf8);
  corpora = { ...corpora, [target]: items };
  return items;
}

// Heads that declare huge lengths or counts, indefinite items, tags, floats, break.
const CBOR_INTERESTING = [
  0x00, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1f, 0x3b, 0x5a, 0x5b, 0x5f, 0x7a, 0x7b, 0x7f, 0x9a, 0x9b, 0x9f, 0xba,
  0xbb, 0xbf, 0xc0, 0xd8, 0xd9, 0xda, 0xf4, 0xf6, 0xf7, 0xf8, 0xf9, 0xfa, 0xfb, 0xff,
];
const TEXT_INTERESTING = {
  json: [
    '{',
    '}',
    '[',
    ']',
    '"',
    ':',
    ',',
    '\\',
    '\\u',
    '\\ud800',
    '1e999',
    '-',
    'null',
    'true',
    '\u0000',
    '\uffff',
  ],
  xml: [
    '<',
    '>',
    '</',
    '/>',
    '"',
    "'",
    '=',
    '&',
    '&#x0;',
    '&#1114112;',
    '&amp;',
    '<![CDATA[',
    ']]>',
    '<!--',
    '-->',
    '<?x',
    '<!DOCTYPE a>',
    'xmlns:m2m="x"',
    '\u0000',
  ],
};

function mutateBytes(r: Rng, input: Uint8Array, target: FuzzTarget): Uint8Array {
  const b = [...input];
  const rounds = 1 + int(r, 6);
  for (let k = 0; k < rounds; k++) {
    const at = b.length === 0 ? 0 : int(r, b.length);
    switch (int(r, 8)) {
      case 0:
        b[at] = (b[at] ?? 0) ^ (1 << int(r, 8));
        break;
      case 1:
        b[at] = int(r, 256);
        break;
      case 2:
        if (target === 'cbor')
          b.splice(at, 0, pick(r, CBOR_INTERESTING), 0xff, 0xff, 0xff, 0xf0 + int(r, 16));
        else b.splice(at, 0, ...Buffer.from(pick(r, TEXT_INTERESTING[target === 'xml' ? 'xml' : 'json'])));
        break;
      case 3:
        if (target === 'cbor') b[at] = pick(r, CBOR_INTERESTING);
        else b.splice(at, 0, ...Buffer.from(pick(r, TEXT_INTERESTING[target === 'xml' ? 'xml' : 'json'])));
        break;
      case 4:
        b.splice(at, 1 + int(r, 8));
        break;
      case 5: {
        const len = 1 + int(r, 16);
        b.splice(int(r, b.length + 1), 0, ...b.slice(at, at + len));
        break;
      }
      case 6:
        b.length = at;
        break;
      default:
        b.splice(at, 0, ...Array.from({ length: 1 + int(r, 4) }, () => int(r, 256)));
    }
  }
  return Uint8Array.from(b);
}

/** A random CBOR item, heads drawn to lie about lengths now and then. */
function randomCbor(r: Rng, out: number[], depth: number): void {
  const major = int(r, 8);
  const lie = r() < 0.1;
  const n = lie ? pick(r, [0xfffffffb, 0xffffffff, 0x7fffffff, 65536]) : int(r, depth > 4 ? 2 : 5);
  const head = (m: number, v: number): void => {
    if (v < 24) out.push((m << 5) | v);
    else if (v < 65536) out.push((m << 5) | 25, v >> 8, v & 0xff);
    else out.push((m << 5) | 26, (v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff);
  };
  if (major === 7) {
    out.push(pick(r, [0xf4, 0xf5, 0xf6, 0xf7, 0xf9, 0xfa, 0xfb, 0xff, 0xf0]));
    for (let k = int(r, 9); k > 0; k--) out.push(int(r, 256));
    return;
  }
  if (r() < 0.05) {
    out.push((major << 5) | 31); // indefinite
    for (let k = int(r, 3); k > 0; k--) randomCbor(r, out, depth + 1);
    if (r() < 0.8) out.push(0xff);
    return;
  }
  head(major, n);
  if (major === 2 || major === 3) for (let k = Math.min(n, 8); k > 0; k--) out.push(0x61 + int(r, 26));
  else if (major >= 4 && major <= 6) {
    const items = major === 5 ? 2 * Math.min(n, 4) : major === 6 ? 1 : Math.min(n, 4);
    for (let k = 0; k < items; k++) randomCbor(r, out, depth + 1);
  }
}

/** A message far larger or deeper than any primitive (1 in 2,000 inputs). */
function oversized(r: Rng, target: FuzzTarget): Uint8Array {
  const n = 1000 + int(r, 150_000);
  const deep = r() < 0.5;
  if (target === 'cbor') {
    const b = new Uint8Array(deep ? n : n + 3);
    if (deep) b.fill(0x81);
    else b.set([0x9a, 0x00, 0x02, 0x00], 0); // an array of 131,072 empty maps (a0) or fewer
    if (!deep) b.fill(0xa0, 4);
    return b;
  }
  if (target === 'xml') {
    const open = deep
      ? '<a>'.repeat(n)
      : '<m2m:rqp xmlns:m2m="http://www.onem2m.org/xml/protocols">' + '<x/>'.repeat(n);
    return Buffer.from(open, 'utf8');
  }
  return Buffer.from(deep ? '['.repeat(n) + ']'.repeat(n) : '[' + '{},'.repeat(n) + '{}]', 'utf8');
}

/** Input `index` of the run seeded with `seed`. */
export function fuzzInput(target: FuzzTarget, seed: number, index: number): Uint8Array {
  const r = prng((Math.imul(seed, 0x9e3779b1) ^ index) >>> 0);
  const roll = r();
  if (roll < 0.0005) return oversized(r, target);
  if (roll < 0.05) return Uint8Array.from({ length: 1 + int(r, 64) }, () => int(r, 256));
  if (target === 'cbor' && roll < 0.3) {
    const out: number[] = [];
    randomCbor(r, out, 0);
    if (r() < 0.3) randomCbor(r, out, 0); // trailing items
    return Uint8Array.from(out);
  }
  const seeds = corpus(target);
  let input = mutateBytes(r, pick(r, seeds), target);
  if (r() < 0.1) {
    const other = pick(r, seeds);
    input = Uint8Array.from([
      ...input.subarray(0, int(r, input.length + 1)),
      ...other.subarray(int(r, other.length)),
    ]);
  }
  return input;
}
