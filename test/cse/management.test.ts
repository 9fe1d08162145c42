/**
 * `<node>` and `<mgmtObj>` on the development registrar: the attributes ACME 2026.05.1 validates,
 * a mgmtObj travelling as its specialization (`m2m:dvi`, `m2m:mem`) chosen by `mgd`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Cse } from '../../src/cse/index.js';
import type { RequestPrimitive } from '../../src/protocol/primitive.js';
import { ManualClock } from '../../src/util/clock.js';
import { aeCreate, create, retrieve } from './support/flows.js';

async function setUp(): Promise<Cse> {
  const cse = new Cse({ clock: new ManualClock() });
  assert.equal((await cse.handle(aeCreate('gw', 'Cgw'))).rsc, 2001);
  assert.equal((await cse.handle(create('cse-in', 'Cgw', 14, 'nod', { rn: 'gw-node', ni: 'gw' }))).rsc, 2001);
  return cse;
}

const DVI = {
  rn: 'deviceInfo',
  mgd: 1007,
  dlb: 'gw',
  man: 'Raspberry Pi Ltd',
  mod: 'Pi 4',
  dty: 'gateway',
  swv: '1.0.0',
};

test('a deviceInfo and a memory object under a node come back as m2m:dvi and m2m:mem, nested with rcn 4', async () => {
  const cse = await setUp();
  assert.equal((await cse.handle(create('cse-in/gw-node', 'Cgw', 13, 'dvi', DVI))).rsc, 2001);
  const mem = await cse.handle(
    create('cse-in/gw-node', 'Cgw', 13, 'mem', { rn: 'memory', mgd: 1003, mma: 1, mmt: 2 }),
  );
  assert.equal(mem.rsc, 2001);
  assert.equal((mem.pc?.['m2m:mem'] as { mma?: unknown }).mma, 1);
  const dvi = await cse.handle(retrieve('cse-in/gw-node/deviceInfo', 'Cgw'));
  assert.equal((dvi.pc?.['m2m:dvi'] as { mod?: unknown }).mod, 'Pi 4');
  const upd: RequestPrimitive = {
    op: 3,
    to: 'cse-in/gw-node/memory',
    fr: 'Cgw',
    rqi: 'u1',
    rvi: '3',
    pc: { 'm2m:mem': { mma: 5 } },
  };
  assert.equal((await cse.handle(upd)).rsc, 2004);
  const tree = await cse.handle(retrieve('cse-in/gw-node', 'Cgw', { rcn: 4 }));
  const nod = tree.pc?.['m2m:nod'] as Record<string, unknown>;
  assert.equal((nod['m2m:mem'] as { mma: number }[])[0]?.mma, 5);
  assert.equal((nod['m2m:dvi'] as unknown[]).length, 1);
  // nl on the <AE> names the node.
  const nodeRi = (nod as { ri: string }).ri;
  const nl: RequestPrimitive = {
    op: 3,
    to: 'cse-in/gw',
    fr: 'Cgw',
    rqi: 'u2',
    rvi: '3',
    pc: { 'm2m:ae': { nl: nodeRi } },
  };
  assert.equal((await cse.handle(nl)).rsc, 2004);
});

test('refused as ACME refuses: mandatory attribute missing, mgd not matching its name, wrong parent, attribute of another kind', async () => {
  const cse = await setUp();
  const noModel: Record<string, unknown> = { ...DVI };
  delete noModel.mod;
  const cases: [RequestPrimitive, RegExp][] = [
    [create('cse-in/gw-node', 'Cgw', 13, 'dvi', noModel), /mandatory attribute mod/],
    [create('cse-in/gw-node', 'Cgw', 13, 'mem', { ...DVI }), /travels as m2m:dvi/],
    [create('cse-in/gw-node', 'Cgw', 13, 'mem', { rn: 'm', mgd: 1003, mma: 1 }), /mandatory attribute mmt/],
    [create('cse-in/gw', 'Cgw', 13, 'dvi', DVI), /cannot be created under/],
    [create('cse-in', 'Cgw', 14, 'nod', { rn: 'n2' }), /mandatory attribute ni/],
  ];
  for (const [req, dbg] of cases) {
    const rsp = await cse.handle(req);
    assert.ok(rsp.rsc === 4000 || rsp.rsc === 4108, `${JSON.stringify(req.pc)}: ${rsp.rsc}`);
    assert.match(String(rsp.pc?.['m2m:dbg']), dbg);
  }
  assert.equal(
    (
      await cse.handle(
        create('cse-in/gw-node', 'Cgw', 13, 'mem', { rn: 'memory', mgd: 1003, mma: 1, mmt: 2 }),
      )
    ).rsc,
    2001,
  );
  const wrong: RequestPrimitive = {
    op: 3,
    to: 'cse-in/gw-node/memory',
    fr: 'Cgw',
    rqi: 'u',
    rvi: '3',
    pc: { 'm2m:mem': { btl: 5 } },
  };
  const rsp = await cse.handle(wrong);
  assert.equal(rsp.rsc, 4000);
});
