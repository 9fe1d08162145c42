/** The resource tree: lookups by ri and by name, creation order, removal of subtrees. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ResourceTree, type ResourceNode } from '../../src/cse/tree.js';

const node = (ty: number, ri: string, rn: string, pi: string | undefined): ResourceNode => ({
  ty,
  ri,
  rn,
  pi,
  attrs: {},
  children: [],
  meta: {},
});

test('adds, finds by ri and by name, keeps order, removes a subtree', () => {
  const t = new ResourceTree(node(5, 'id-in', 'cse-in', undefined));
  t.add(node(2, 'Cae', 'app', 'id-in'));
  t.add(node(3, 'cnt1', 'box', 'Cae'));
  t.add(node(4, 'cin1', 'a', 'cnt1'));
  t.add(node(4, 'cin2', 'b', 'cnt1'));
  const box = t.get('cnt1');
  assert.ok(box);
  assert.equal(t.child(box, 'b')?.ri, 'cin2');
  assert.deepEqual(
    t.children(box, 4).map((c) => c.ri),
    ['cin1', 'cin2'],
  );
  assert.equal(t.structuredPath(box), 'cse-in/app/box');
  const ae = t.get('Cae');
  assert.ok(ae);
  assert.deepEqual(
    t.remove(ae).map((n) => n.ri),
    ['cin1', 'cin2', 'cnt1', 'Cae'],
  );
  assert.equal(t.size, 1);
  assert.equal(t.child(t.root, 'app'), undefined);
  assert.throws(() => t.remove(t.root));
  assert.throws(() => {
    t.add(node(3, 'x', 'x', 'missing'));
  });
});
