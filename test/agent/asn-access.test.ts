/**
 * The ASN-CSE's access rules without sockets: canonical originators (C-stems belong to the
 * registrar, S-stems are SP-wide, a foreign SP-ID kept), trust, and the decision table (trusted,
 * owner, agent-owned structure, command containers, unsupported operations).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnTrust, canonicalOriginator, decide, type TargetInfo } from '../../src/agent/asn/access.js';
import { Operation, ResourceType } from '../../src/protocol/codes.js';

test('originators are compared by their whole identity', () => {
  assert.equal(canonicalOriginator('Cadmin', '/id-in'), '/id-in/Cadmin');
  assert.equal(canonicalOriginator('/id-in/Cadmin', '/id-in'), '/id-in/Cadmin');
  assert.equal(canonicalOriginator('//sp.example/id-in/Cadmin', '/id-in', 'sp.example'), '/id-in/Cadmin');
  assert.equal(
    canonicalOriginator('//evil.example/id-in/Cadmin', '/id-in', 'sp.example'),
    '//evil.example/id-in/Cadmin',
  );
  assert.equal(canonicalOriginator('Sfleet', '/id-in'), '/Sfleet');
  assert.equal(canonicalOriginator('id-mn', '/id-in'), '/id-mn');
  const trust = new AsnTrust('/id-in', ['Cadmin', '/Sfleet']);
  assert.ok(trust.isTrusted('/id-in'), 'the registrar always');
  assert.ok(trust.isTrusted('id-in'));
  assert.ok(trust.isTrusted('/id-in/Cadmin'));
  assert.ok(trust.isTrusted('Sfleet'));
  assert.ok(!trust.isTrusted('/id-other/Cadmin'), 'a C-stem of another registrar is someone else');
  assert.ok(
    !trust.isTrusted('//evil.example/id-in'),
    'an absolute id with a foreign SP-ID is never the registrar',
  );
  assert.ok(!trust.isTrusted(undefined));
  assert.ok(!trust.isTrusted(''));
});

const container: TargetInfo = {
  ty: ResourceType.Container,
  creator: '/id-asn/Cagent',
  commandContainer: false,
};
const command: TargetInfo = { ...container, commandContainer: true };
const cin: TargetInfo = {
  ty: ResourceType.ContentInstance,
  creator: '/id-in/Cuser',
  commandContainer: false,
};
const ae: TargetInfo = { ty: ResourceType.AE, creator: '/id-asn/Cagent', commandContainer: false };
const none: TargetInfo = { ty: undefined, creator: undefined, commandContainer: false };

function rsc(op: number, target: TargetInfo, trusted: boolean, fr = '/id-in/Cuser', ty?: number): number {
  const d = decide({ op: op as Operation, ...(ty === undefined ? {} : { ty }) }, target, trusted, fr);
  return d.allow ? 0 : d.rsc;
}

test('trusted originators read anything, command actuators, tune containers, delete instances', () => {
  assert.equal(rsc(Operation.Retrieve, ae, true), 0);
  assert.equal(rsc(Operation.Create, command, true, undefined, ResourceType.ContentInstance), 0);
  assert.equal(rsc(Operation.Create, container, true, undefined, ResourceType.ContentInstance), 4103);
  assert.equal(rsc(Operation.Create, container, true, undefined, ResourceType.Container), 5001);
  assert.equal(rsc(Operation.Update, container, true), 0);
  assert.equal(rsc(Operation.Update, ae, true), 4103);
  assert.equal(rsc(Operation.Delete, cin, true), 0);
  assert.equal(rsc(Operation.Delete, container, true), 4103);
  assert.equal(rsc(Operation.Delete, ae, true), 4103);
  assert.equal(rsc(Operation.Notify, ae, true), 5001);
  assert.equal(rsc(Operation.Retrieve, none, true), 0, 'the CSE answers 4004 itself');
});

test('others may only read and delete what they created', () => {
  assert.equal(rsc(Operation.Retrieve, ae, false), 4103);
  assert.equal(rsc(Operation.Retrieve, none, false), 4103, 'no hint whether it exists');
  assert.equal(rsc(Operation.Retrieve, cin, false), 0, 'its own command');
  assert.equal(rsc(Operation.Delete, cin, false), 0);
  assert.equal(rsc(Operation.Update, cin, false), 4103);
  assert.equal(rsc(Operation.Retrieve, cin, false, '/id-in/Cother'), 4103);
  assert.equal(rsc(Operation.Create, command, false, undefined, ResourceType.ContentInstance), 4103);
});
