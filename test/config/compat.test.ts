import { test } from 'node:test';
import assert from 'node:assert/strict';
import { COMPAT_PRESETS, resolveCompat } from '../../src/config/compat.js';

test('presets carry the registrar quirks of design.md', () => {
  assert.deepEqual(COMPAT_PRESETS.standard, {
    subprotocolOffer: 'preference',
    originHeader: false,
    sendCsz: true,
    poa: [],
    maxInFlight: 16,
    minFrameGapMs: 0,
    notificationsOverLink: true,
    pollCommandsSeconds: 10,
  });
  assert.equal(COMPAT_PRESETS.acme.subprotocolOffer, 'cbor-alone');
  assert.equal(COMPAT_PRESETS.acme.maxInFlight, 1);
  assert.deepEqual(COMPAT_PRESETS.acme.poa, ['ws://default']);
  assert.equal(COMPAT_PRESETS.acme.originHeader, true);
  assert.equal(COMPAT_PRESETS.mobius.subprotocolOffer, 'legacy-json-first');
  assert.equal(COMPAT_PRESETS.mobius.notificationsOverLink, false);
  assert.equal(COMPAT_PRESETS.mobius.maxInFlight, 8);
  // Mobius 2.4 answers 5000 to every <AE> CREATE that carries csz.
  assert.equal(COMPAT_PRESETS.mobius.sendCsz, false);
  assert.equal(COMPAT_PRESETS.acme.sendCsz, true);
  // ACME loses a frame that follows another from the same connection within a few ms.
  assert.equal(COMPAT_PRESETS.acme.minFrameGapMs, 100);
});

test('resolveCompat merges overrides over the named preset and leaves the presets alone', () => {
  assert.deepEqual(resolveCompat('mobius'), { preset: 'mobius', switches: COMPAT_PRESETS.mobius });
  const r = resolveCompat({ preset: 'acme', originHeader: false, ignored: 1 });
  assert.equal(r.preset, 'acme');
  assert.deepEqual(r.switches, { ...COMPAT_PRESETS.acme, originHeader: false });
  assert.equal(COMPAT_PRESETS.acme.originHeader, true);
  assert.deepEqual(resolveCompat(undefined), { preset: 'standard', switches: COMPAT_PRESETS.standard });
  assert.deepEqual(resolveCompat({ maxInFlight: 4 }).switches, {
    ...COMPAT_PRESETS.standard,
    maxInFlight: 4,
  });
});
