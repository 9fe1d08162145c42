/**
 * Trust by the whole identity: SP-ID, CSE-ID and AE-ID, after normalising the TS-0001 7.2 forms
 * (absolute, SP-relative, CSE-relative). The same policy decides notifications (ADN), routed
 * requests (ASN) and later request kinds; `isRegistrar` is for requests only the registrar may send.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalOriginator, TrustPolicy } from '../../src/agent/trust.js';

test('canonical forms: SP-relative for our SP, absolute for another, undefined when malformed', () => {
  assert.equal(canonicalOriginator('/id-in', '/id-in'), '/id-in');
  assert.equal(canonicalOriginator('id-in', '/id-in'), '/id-in');
  assert.equal(canonicalOriginator('Cadmin', '/id-in'), '/id-in/Cadmin');
  assert.equal(canonicalOriginator('/id-in/Cadmin', '/id-in'), '/id-in/Cadmin');
  assert.equal(canonicalOriginator('Sfleet', '/id-in'), '/Sfleet');
  assert.equal(canonicalOriginator('/Sfleet', '/id-in'), '/Sfleet');
  // An SP-ID is kept unless it is ours, and without a configured spId none is ours.
  assert.equal(canonicalOriginator('//sp.example/id-in', '/id-in'), '//sp.example/id-in');
  assert.equal(canonicalOriginator('//sp.example/id-in', '/id-in', 'sp.example'), '/id-in');
  assert.equal(canonicalOriginator('//SP.Example/id-in/Cadmin', '/id-in', '//sp.example'), '/id-in/Cadmin');
  assert.equal(canonicalOriginator('//sp.example/Sfleet', '/id-in', 'sp.example'), '/Sfleet');
  assert.equal(canonicalOriginator('//evil.example/id-in', '/id-in', 'sp.example'), '//evil.example/id-in');
  for (const bad of [
    '',
    '/',
    '//',
    '//sp.example',
    '//sp.example/',
    '/id-in/',
    '/a/b/c',
    'id in',
    '/id-in//C',
  ])
    assert.equal(canonicalOriginator(bad, '/id-in', 'sp.example'), undefined, JSON.stringify(bad));
});

/** Each form, accepted and refused, for a policy whose SP-ID is known and for one whose is not. */
const CASES: readonly { fr: string | undefined; known: boolean; unknown: boolean; why: string }[] = [
  { fr: '/id-in', known: true, unknown: true, why: 'the registrar, SP-relative' },
  { fr: 'id-in', known: true, unknown: true, why: 'the registrar without its slash' },
  { fr: '//sp.example/id-in', known: true, unknown: false, why: 'the registrar, absolute, our SP' },
  { fr: '//evil.example/id-in', known: false, unknown: false, why: 'a foreign SP posing as the registrar' },
  { fr: '//evil.example/id-in/Cadmin', known: false, unknown: false, why: 'a foreign SP posing as Cadmin' },
  { fr: 'Cadmin', known: true, unknown: true, why: 'a trusted C-stem, CSE-relative' },
  { fr: '/id-in/Cadmin', known: true, unknown: true, why: 'a trusted C-stem, SP-relative' },
  { fr: '//sp.example/id-in/Cadmin', known: true, unknown: false, why: 'a trusted C-stem, absolute' },
  { fr: '/id-mn/Cadmin', known: false, unknown: false, why: 'the same stem under another CSE' },
  { fr: 'Sfleet', known: true, unknown: true, why: 'a trusted S-stem' },
  { fr: '//sp.example/Sfleet', known: true, unknown: false, why: 'a trusted S-stem, absolute' },
  { fr: '//other.example/id-x/Cpartner', known: true, unknown: true, why: 'trusted in its absolute form' },
  { fr: '/id-x/Cpartner', known: false, unknown: false, why: 'the partner stem, but in our SP' },
  { fr: 'Cmallory', known: false, unknown: false, why: 'an AE nobody trusts' },
  { fr: 'cadmin', known: false, unknown: false, why: 'case matters' },
  { fr: 'Cadmin ', known: false, unknown: false, why: 'whitespace is malformed' },
  { fr: 'id-in2', known: false, unknown: false, why: 'a lookalike CSE-ID' },
  { fr: '/id-in/cse-in', known: false, unknown: false, why: 'a resource path is not an originator' },
  { fr: '//sp.example', known: false, unknown: false, why: 'an SP-ID alone' },
  { fr: '', known: false, unknown: false, why: 'empty' },
  { fr: undefined, known: false, unknown: false, why: 'absent' },
];

test('every form is accepted or refused by the whole identity (SP-ID known and unknown)', () => {
  const trusted = ['Cadmin', 'Sfleet', '//other.example/id-x/Cpartner'];
  const known = new TrustPolicy('/id-in', trusted, 'sp.example');
  const unknown = new TrustPolicy('/id-in', trusted);
  for (const c of CASES) {
    assert.equal(known.isTrusted(c.fr), c.known, `${String(c.fr)} (spId known): ${c.why}`);
    assert.equal(unknown.isTrusted(c.fr), c.unknown, `${String(c.fr)} (spId unknown): ${c.why}`);
  }
});

test('isRegistrar: only the registrar CSE in a form naming our SP, never a trusted AE or a foreign SP', () => {
  const t = new TrustPolicy('/id-in', ['Cadmin', '/id-mn'], 'sp.example');
  for (const fr of ['/id-in', 'id-in', '//sp.example/id-in', '//SP.EXAMPLE/id-in'])
    assert.equal(t.isRegistrar(fr), true, fr);
  for (const fr of ['//evil.example/id-in', 'Cadmin', '/id-mn', '/id-in/Cadmin', '', undefined])
    assert.equal(t.isRegistrar(fr), false, String(fr));
});
