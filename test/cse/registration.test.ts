/** Registration rules: AE-ID assignment, App-ID, connection bindings and access. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RequestRefusedError } from '../../src/cse/errors.js';
import { assignAeId, Attachments, checkAppId, checkConnectionAccess } from '../../src/cse/registration.js';
import { ResourceTree, type ResourceNode } from '../../src/cse/tree.js';
import type { RequestPrimitive } from '../../src/protocol/primitive.js';

function node(
  ty: number,
  ri: string,
  pi: string | undefined,
  attrs: Record<string, unknown> = {},
): ResourceNode {
  return { ty, ri, rn: ri, pi, attrs, children: [], meta: {} };
}

function refused(rsc: number): (err: unknown) => boolean {
  return (err) => err instanceof RequestRefusedError && err.rsc === rsc;
}

function tree(): ResourceTree {
  const t = new ResourceTree(node(5, 'id-in', undefined));
  t.add(node(2, 'Cold', 'id-in'));
  t.add(node(16, 'id-asn', 'id-in', { csi: '/id-asn' }));
  return t;
}

describe('assignAeId', () => {
  test('C, S and absent get fresh stems; a requested stem is kept; a registered one is 4117', () => {
    const t = tree();
    let n = 0;
    const random = (): string => (++n === 1 ? 'old' : `x${n}`);
    assert.equal(assignAeId('C', t, random), 'Cx2', 'skips a stem already in use');
    assert.equal(assignAeId('S', t, random), 'Sx3');
    assert.equal(assignAeId(undefined, t, random), 'Cx4');
    assert.equal(assignAeId('Cmine', t), 'Cmine');
    assert.throws(() => assignAeId('Cold', t), refused(4117));
    assert.throws(() => assignAeId('Xbad', t), refused(4000));
  });
  test('App-ID must start with N, R or r', () => {
    assert.doesNotThrow(() => {
      checkAppId('Nm2m');
    });
    assert.doesNotThrow(() => {
      checkAppId('Rapp');
    });
    assert.doesNotThrow(() => {
      checkAppId('rapp');
    });
    assert.throws(() => {
      checkAppId('a56');
    }, refused(4000));
  });
});

describe('connection access (TS-0020)', () => {
  const req = (fr: string, op: 1 | 2 = 2, ty?: number): RequestPrimitive => ({
    op,
    to: 'cse-in',
    fr,
    rqi: '1',
    rvi: '3',
    ...(ty ? { ty } : {}),
  });
  const deps = (t: ResourceTree, a: Attachments, acme = false) => ({
    tree: t,
    attachments: a,
    originHeaderIdentification: acme,
    normalize: (fr: string) => fr,
  });

  test('standard: register first; a registered originator binds a fresh connection; others are 4103', () => {
    const t = tree();
    const a = new Attachments();
    assert.equal(checkConnectionAccess(req('C', 1, 2), 'C', { connectionId: 'k1' }, deps(t, a)), undefined);
    assert.throws(
      () => checkConnectionAccess(req('Cnew'), 'Cnew', { connectionId: 'k1' }, deps(t, a)),
      refused(4103),
    );
    assert.equal(checkConnectionAccess(req('Cold'), 'Cold', { connectionId: 'k1' }, deps(t, a)), 'Cold');
    a.attach('Cold', 'k1');
    assert.equal(checkConnectionAccess(req('Cold'), 'Cold', { connectionId: 'k1' }, deps(t, a)), undefined);
    assert.throws(
      () => checkConnectionAccess(req('/id-asn'), '/id-asn', { connectionId: 'k1' }, deps(t, a)),
      refused(4103),
    );
    assert.equal(
      checkConnectionAccess(req('Cnew'), 'Cnew', {}, deps(t, a)),
      undefined,
      'in-process: no rule',
    );
  });

  test('a remote CSE connection relays for its registrees', () => {
    const t = tree();
    const a = new Attachments();
    a.attach('/id-asn', 'k2');
    assert.equal(
      checkConnectionAccess(req('/id-asn/Cdev'), '/id-asn/Cdev', { connectionId: 'k2' }, deps(t, a)),
      undefined,
    );
  });

  test('ACME: without X-M2M-Origin only registration; with it only that originator', () => {
    const t = tree();
    const a = new Attachments();
    assert.throws(
      () => checkConnectionAccess(req('Cold'), 'Cold', { connectionId: 'k3' }, deps(t, a, true)),
      refused(4103),
    );
    assert.equal(
      checkConnectionAccess(
        req('Cold'),
        'Cold',
        { connectionId: 'k3', identifiedAs: 'Cold' },
        deps(t, a, true),
      ),
      'Cold',
    );
    assert.throws(
      () =>
        checkConnectionAccess(
          req('Cx'),
          'Cx',
          { connectionId: 'k3', identifiedAs: 'Cold' },
          deps(t, a, true),
        ),
      refused(4103),
    );
  });

  test('Attachments: newest connection wins; closing forgets', () => {
    const a = new Attachments();
    assert.equal(a.attach('Cold', 'k1'), true);
    assert.equal(a.attach('Cold', 'k1'), false);
    a.attach('Cold', 'k2');
    assert.deepEqual(a.originatorsOn('k1'), []);
    assert.equal(a.connectionOf('Cold'), 'k2');
    assert.deepEqual(a.detachConnection('k2'), ['Cold']);
    assert.equal(a.connectionOf('Cold'), undefined);
  });
});
