/**
 * Registrar compatibility presets (design.md, "Registrars in the field differ"). A preset fills
 * every switch; `registrar.compat: { "preset": "acme", "maxInFlight": 2 }` overrides single ones.
 */
import type { CompatPresetName, CompatSwitches } from './types.js';
import { isPlainObject } from './json-schema.js';

/** The switches of each preset. */
export const COMPAT_PRESETS: Readonly<Record<CompatPresetName, CompatSwitches>> = {
  /** TS-0020 as written: offer every configured serialization in preference order, pipeline. */
  standard: {
    subprotocolOffer: 'preference',
    originHeader: false,
    sendCsz: true,
    poa: [],
    maxInFlight: 16,
    minFrameGapMs: 0,
    notificationsOverLink: true,
    pollCommandsSeconds: 10,
  },
  /**
   * ACME: picks JSON by its own order when both are offered (so CBOR is offered alone), identifies
   * connections by `X-M2M-Origin`, notifies only a `ws://` poa, mishandles pipelined requests and
   * loses a frame that follows another within a few ms (frames kept 100 ms apart).
   */
  acme: {
    subprotocolOffer: 'cbor-alone',
    originHeader: true,
    sendCsz: true,
    poa: ['ws://default'],
    maxInFlight: 1,
    minFrameGapMs: 100,
    notificationsOverLink: true,
    pollCommandsSeconds: 10,
  },
  /**
   * Mobius: reads only the first offered name and fails on anything but a legacy JSON name; never
   * sends requests over the client's connection (commands are polled); answers out of order;
   * Mobius 2.4 writes `csz` into SQL unquoted and fails every `<AE>` CREATE carrying it (5000).
   */
  mobius: {
    subprotocolOffer: 'legacy-json-first',
    originHeader: false,
    sendCsz: false,
    poa: [],
    maxInFlight: 8,
    minFrameGapMs: 0,
    notificationsOverLink: false,
    pollCommandsSeconds: 10,
  },
};

const SWITCH_KEYS = Object.keys(COMPAT_PRESETS.standard) as (keyof CompatSwitches)[];

/** Turns a schema-valid `registrar.compat` value (preset name or object) into the preset and merged switches. */
export function resolveCompat(raw: unknown): { preset: CompatPresetName; switches: CompatSwitches } {
  if (typeof raw === 'string' && raw in COMPAT_PRESETS) {
    const preset = raw as CompatPresetName;
    return { preset, switches: COMPAT_PRESETS[preset] };
  }
  if (!isPlainObject(raw)) return { preset: 'standard', switches: COMPAT_PRESETS.standard };
  const named = raw.preset;
  const preset: CompatPresetName =
    typeof named === 'string' && named in COMPAT_PRESETS ? (named as CompatPresetName) : 'standard';
  const overrides: Record<string, unknown> = {};
  for (const key of SWITCH_KEYS) if (raw[key] !== undefined) overrides[key] = raw[key];
  return { preset, switches: { ...COMPAT_PRESETS[preset], ...overrides } };
}
