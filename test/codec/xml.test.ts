/** XML codec (TS-0004 8.5): exact output, liberal reading, data-model types, malformed input. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { xmlCodec } from '../../src/codec/xml.js';
import type { Primitive } from '../../src/protocol/primitive.js';
import { REQUEST_PARAM_ORDER } from '../../src/protocol/parameters.js';

function fixtures(): string {
  for (let dir = dirname(fileURLToPath(import.meta.url)); dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, 'test', 'fixtures'))) return join(dir, 'test', 'fixtures');
  throw new Error('test/fixtures not found');
}
const FIX = fixtures();
const readFixture = (p: string): string => readFileSync(join(FIX, p), 'utf8');
const annexA = JSON.parse(readFixture('vectors/annex-a.json')) as {
  steps: { request: Primitive; response: Primitive }[];
};
const step = (i: number): { request: Primitive; response: Primitive } => annexA.steps[i]!;

const NS = 'xmlns:m2m="http://www.onem2m.org/xml/protocols"';
const rsp = (body: string): string => `<m2m:rsp ${NS}>${body}</m2m:rsp>`;
const rqp = (body: string): string => `<m2m:rqp ${NS}>${body}</m2m:rqp>`;
const roundTrip = (p: unknown): Primitive => xmlCodec.decode(xmlCodec.encode(p as Primitive));

function throwsCode(fn: () => unknown, code: string, rqi?: string): void {
  assert.throws(fn, (err: { code?: string; rqi?: string }) => {
    assert.equal(err.code, code);
    assert.equal(err.rqi, rqi);
    return true;
  });
}

test('writes the Annex A registration request exactly as the hand-written fixture', () => {
  const expected = readFixture('xml/annex-a-registration-request.xml').replace(/\n$/, '');
  assert.equal(xmlCodec.encode(step(0).request), expected);
});

test('codec metadata: text frames, application/xml', () => {
  assert.equal(xmlCodec.serialization, 'xml');
  assert.equal(xmlCodec.frame, 'text');
  assert.equal(xmlCodec.mediaType, 'application/xml');
});

test('reads indented XML with parameters and attributes out of XSD order', () => {
  const bytes = new TextEncoder().encode(readFixture('xml/annex-a-container-response-pretty.xml'));
  assert.deepEqual(xmlCodec.decode(bytes), step(1).response);
});

test('writes parameters in XSD order whatever the object order', () => {
  const p = {
    pc: { 'm2m:cin': { con: 'x' } },
    rvi: '3',
    rqi: 'q',
    fr: 'Cae',
    to: 'cse-in/a',
    ty: 4,
    op: 1,
    ot: 'T',
    rt: { rtv: 3 },
  };
  const xml = xmlCodec.encode(p as Primitive) as string;
  const positions = ['op', 'to', 'fr', 'rqi', 'rvi', 'ty', 'pc', 'ot', 'rt'].map((n) =>
    xml.indexOf(`<${n}>`),
  );
  assert.ok(positions.every((x) => x > 0));
  assert.deepEqual(
    positions,
    [...positions].sort((a, b) => a - b),
  );
  assert.deepEqual(REQUEST_PARAM_ORDER.slice(0, 7), ['op', 'to', 'fr', 'rqi', 'rvi', 'ty', 'pc']);
});

test('parameters are unprefixed, resources in pc prefixed, rn an attribute, lists space-separated', () => {
  const xml = xmlCodec.encode(step(0).response) as string;
  assert.match(
    xml,
    /^<\?xml version="1\.0" encoding="UTF-8"\?><m2m:rsp xmlns:m2m="http:\/\/www\.onem2m\.org\/xml\/protocols">/,
  );
  assert.match(xml, /<rsc>2001<\/rsc><rqi>A1000<\/rqi><pc><m2m:ae rn="SmartHomeApplication"><ty>2<\/ty>/);
  assert.match(xml, /<acpi>acp1 acp2<\/acpi>/);
  assert.doesNotMatch(xml, /<rn>/);
});

test('only data-model numbers and booleans are converted; rqi "0001" and rvi "4" stay strings', () => {
  const p = xmlCodec.decode(
    rsp(
      '<rsc>2000</rsc><rqi>0001</rqi><rvi>4</rvi><pc><m2m:ae rn="007"><api>N01</api><rr>true</rr>' +
        '<srv>3 4</srv><poa>ws://a:1 ws://b:2</poa><st>12</st><apn>123</apn><lbl>1 2</lbl></m2m:ae></pc><cnst>1</cnst>',
    ),
  );
  assert.deepEqual(p, {
    rsc: 2000,
    rqi: '0001',
    rvi: '4',
    cnst: 1,
    pc: {
      'm2m:ae': {
        rn: '007',
        api: 'N01',
        rr: true,
        srv: ['3', '4'],
        poa: ['ws://a:1', 'ws://b:2'],
        st: 12,
        apn: '123',
        lbl: ['1', '2'],
      },
    },
  });
});

test('request parameters: numbers, booleans, lists and nested objects get their types back', () => {
  const req = {
    op: 2,
    to: 'cse-in/ae',
    fr: 'Cae',
    rqi: 'r',
    rvi: '3',
    rcn: 4,
    da: false,
    drt: 1,
    rt: { rtv: 2, nu: ['Cae', '/id-in/Cother'] },
    rids: ['role1', 'role2'],
    fc: { ty: [3, 4], lbl: ['x'], lim: 10, fu: 1, atr: [{ nm: 'con', val: 'on' }], crb: '20240101T000000' },
  };
  assert.deepEqual(roundTrip(req), req);
});

test('notifications: repeated m2m:sgn, nested resource, enc net as list, nev net as number', () => {
  const agn = {
    op: 5,
    to: 'Cae',
    fr: '/id-in',
    rqi: 'n1',
    rvi: '3',
    pc: {
      'm2m:agn': {
        'm2m:sgn': [
          { nev: { rep: { 'm2m:cin': { rn: 'c1', ty: 4, con: 'on', cs: 2 } }, net: 3 }, sur: '/id-in/sub1' },
        ],
      },
    },
  };
  assert.deepEqual(roundTrip(agn), agn);
  const vrq = {
    op: 5,
    to: 'Cae',
    fr: '/id-in',
    rqi: 'n2',
    pc: { 'm2m:sgn': { vrq: true, sud: false, sur: '/id-in/sub1', cr: 'Cae' } },
  };
  assert.deepEqual(roundTrip(vrq), vrq);
  const sub = {
    op: 1,
    to: 'a',
    rqi: 's',
    ty: 23,
    pc: { 'm2m:sub': { rn: 's', nu: ['Cae'], nct: 1, enc: { net: [1, 3], chty: [4] }, exc: 10, ln: true } },
  };
  assert.deepEqual(roundTrip(sub), sub);
});

test('repeated elements: schedule entries (with spaces), child refs with XML attributes, child resources', () => {
  const p = {
    rsc: 2000,
    rqi: 'r',
    pc: {
      'm2m:cnt': {
        rn: 'c',
        se: { sce: ['* 0-5 2,6,10 * * * *'] },
        ch: [
          { nm: 'a', typ: 4, val: 'cin1' },
          { nm: 'b', typ: 4, val: 'cin2' },
        ],
        'm2m:cin': [{ rn: 'i', con: '1' }],
      },
    },
  };
  const xml = xmlCodec.encode(p) as string;
  assert.match(xml, /<sce>\* 0-5 2,6,10 \* \* \* \*<\/sce>/);
  assert.match(xml, /<ch nm="a" typ="4">cin1<\/ch><ch nm="b" typ="4">cin2<\/ch>/);
  assert.deepEqual(xmlCodec.decode(xml), p);
});

test('NULL is an empty element; an empty list stays an empty list', () => {
  const p = { op: 3, to: 'a', rqi: 'u', pc: { 'm2m:ae': { lbl: [], cr: null, poa: ['ws://x'], et: null } } };
  const xml = xmlCodec.encode(p as Primitive) as string;
  assert.match(xml, /<lbl\/><cr\/><poa>ws:\/\/x<\/poa><et\/>/);
  assert.deepEqual(xmlCodec.decode(xml), p);
  assert.deepEqual(xmlCodec.decode(rqp('<op>2</op><to>a</to><rqi>e</rqi><pc/>')), {
    op: 2,
    to: 'a',
    rqi: 'e',
    pc: {},
  });
});

test('escapes markup in text and attributes, keeps whitespace, reads CDATA and character references', () => {
  const tricky = 'a<b>&"c\' \r\n\tend ';
  const p = { rsc: 2000, rqi: 'r&1', pc: { 'm2m:cin': { rn: 'x"&<y\t', con: tricky, cnf: 'text/plain:0' } } };
  assert.deepEqual(roundTrip(p), p);
  const q = xmlCodec.decode(
    rsp('<rsc>2000</rsc><rqi>&#65;&#x42;&amp;#67;</rqi><pc><m2m:dbg><![CDATA[<raw> & ]]></m2m:dbg></pc>'),
  );
  assert.deepEqual(q, { rsc: 2000, rqi: 'AB&#67;', pc: { 'm2m:dbg': '<raw> & ' } });
});

test('limits: an object con travels as JSON text, a numeric absRel timestamp comes back as a string', () => {
  const senml = [{ n: 'temp', v: 21.5 }];
  const p = {
    op: 1,
    to: 'a',
    rqi: 'c',
    ty: 4,
    rqet: 60000,
    pc: { 'm2m:cin': { cnf: 'application/senml+json:0', con: senml } },
  };
  const back = roundTrip(p) as unknown as { rqet: unknown; pc: { 'm2m:cin': { con: unknown } } };
  assert.equal(back.pc['m2m:cin'].con, JSON.stringify(senml));
  assert.equal(back.rqet, '60000');
});

test('unknown members are kept as strings, repeated unknown elements as arrays', () => {
  const p = xmlCodec.decode(
    rsp('<rsc>2000</rsc><rqi>r</rqi><pc><m2m:fcnt><foo>1</foo><bar>x</bar><bar>y</bar></m2m:fcnt></pc>'),
  );
  assert.deepEqual(p.pc, { 'm2m:fcnt': { foo: '1', bar: ['x', 'y'] } });
});

test('encode refuses characters and names XML 1.0 cannot carry', () => {
  throwsCode(
    () => xmlCodec.encode({ rsc: 2000, rqi: 'r', pc: { 'm2m:dbg': 'bell\u0007' } }),
    'CODEC_MALFORMED',
  );
  throwsCode(
    () => xmlCodec.encode({ rsc: 2000, rqi: 'r', pc: { 'm2m:fcnt': { 'not a name': 1 } } }),
    'CODEC_MALFORMED',
  );
});

test('malformed XML gives CODEC_MALFORMED, with the rqi when it can be found', () => {
  throwsCode(() => xmlCodec.decode('garbage'), 'CODEC_MALFORMED');
  // XML 1.0 2.2: C0 control characters other than tab, LF and CR are not characters of a document.
  throwsCode(
    () => xmlCodec.decode(`<m2m:rqp ${NS}><op>1</op><to>x</to><rqi>t0</rqi><pc>\u0001</pc></m2m:rqp>`),
    'CODEC_MALFORMED',
    't0',
  );
  throwsCode(() => xmlCodec.decode(''), 'CODEC_MALFORMED');
  throwsCode(() => xmlCodec.decode(`<m2m:rqp ${NS}><op>1</op><rqi>t1</rqi><to>x`), 'CODEC_MALFORMED', 't1');
  throwsCode(
    () => xmlCodec.decode(`<m2m:rqp ${NS}><op>1</op><rqi>t2</rqi></m2m:rsp>`),
    'CODEC_MALFORMED',
    't2',
  );
  throwsCode(
    () => xmlCodec.decode(`<rqp ${NS}><op>1</op><to>x</to><rqi>t3</rqi></rqp>`),
    'CODEC_MALFORMED',
    't3',
  );
  throwsCode(
    () => xmlCodec.decode('<m2m:rqp><op>1</op><to>x</to><rqi>t4</rqi></m2m:rqp>'),
    'CODEC_MALFORMED',
    't4',
  );
  throwsCode(
    () => xmlCodec.decode('<m2m:rqp xmlns:m2m="urn:other"><rqi>t5</rqi></m2m:rqp>'),
    'CODEC_MALFORMED',
    't5',
  );
  throwsCode(
    () => xmlCodec.decode(`${rqp('<rqi>t6</rqi>')}${rqp('<rqi>t7</rqi>')}`),
    'CODEC_MALFORMED',
    't6',
  );
  throwsCode(
    () => xmlCodec.decode(`<!DOCTYPE x [<!ENTITY a "b">]>${rqp('<rqi>t8</rqi>')}`),
    'CODEC_MALFORMED',
    't8',
  );
  throwsCode(
    () => xmlCodec.decode(rqp('<op>1</op><to>x</to><rqi>t9</rqi><fr>&nbsp;</fr>')),
    'CODEC_MALFORMED',
    't9',
  );
  throwsCode(
    () => xmlCodec.decode(rqp('<op>1</op><to>x</to><rqi>u1</rqi><pc>text<m2m:ae/></pc>')),
    'CODEC_MALFORMED',
    'u1',
  );
  throwsCode(() => xmlCodec.decode(new Uint8Array([0x3c, 0x61, 0xff, 0x3e])), 'CODEC_MALFORMED');
});

test('well-formed XML that is not a valid primitive gives PRIMITIVE_INVALID', () => {
  throwsCode(() => xmlCodec.decode(rqp('<op>1</op><to>x</to>')), 'PRIMITIVE_INVALID');
  throwsCode(() => xmlCodec.decode(rqp('<op>9</op><to>x</to><rqi>v1</rqi>')), 'PRIMITIVE_INVALID', 'v1');
  throwsCode(() => xmlCodec.decode(rqp('<op>one</op><to>x</to><rqi>v2</rqi>')), 'PRIMITIVE_INVALID', 'v2');
  throwsCode(() => xmlCodec.decode(rqp('<rsc>2000</rsc><rqi>v3</rqi>')), 'PRIMITIVE_INVALID', 'v3');
  throwsCode(() => xmlCodec.decode(rsp('<rsc>20x</rsc><rqi>v4</rqi>')), 'PRIMITIVE_INVALID', 'v4');
});
