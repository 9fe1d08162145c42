/**
 * Remote configuration (issue 16): a JSON merge patch (RFC 7396) of the configuration file, sent by
 * an operator through the registrar, restricted to settings that cannot cut the gateway off.
 * Devices are addressed by name (`{"devices": {"fan": {"sample": "PT5S"}}}`), since a merge patch
 * would replace the whole `devices` array. The patched file is then validated exactly as `check`
 * validates it (the caller passes it to `validateConfig`).
 */
import type { Issue } from '../util/issues.js';
import { joinPath } from '../util/issues.js';
import { isPlainObject } from '../util/plain-object.js';

/** Per-device keys an operator may change remotely. */
export const REMOTE_DEVICE_KEYS: readonly string[] = ['sample', 'deadband', 'eventCategory'];
/** Top-level keys an operator may change remotely (besides `devices`). */
export const REMOTE_TOP_KEYS: readonly string[] = ['schedule'];
/** The registrar connection: refused unless `allowConnection`, so a bad patch cannot cut us off. */
export const CONNECTION_KEYS: readonly string[] = ['registrar', 'node', 'stateDir', 'trustedOriginators'];

export interface RemotePatchOptions {
  /** `management.remoteConfig.allowConnection`: connection settings may be changed too. */
  readonly allowConnection: boolean;
}

/** RFC 7396 section 2: `null` removes a member, objects merge, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isPlainObject(patch)) return patch;
  const base = isPlainObject(target) ? target : {};
  const out = new Map(Object.entries(base));
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) out.delete(k);
    else out.set(k, mergePatch(base[k], v));
  }
  return Object.fromEntries(out);
}

/** Every key of `patch` outside the allow-list, with its key path (empty: the patch may be applied). */
export function remotePatchIssues(patch: unknown, o: RemotePatchOptions): Issue[] {
  if (!isPlainObject(patch))
    return [{ path: '', message: 'must be a JSON object (a merge patch)', hint: 'send {"devices": {...}}' }];
  const issues: Issue[] = [];
  for (const [k, v] of Object.entries(patch)) {
    if (k === 'devices') issues.push(...deviceIssues(v));
    else if (CONNECTION_KEYS.includes(k)) {
      if (!o.allowConnection)
        issues.push({
          path: k,
          message: 'the registrar connection cannot be changed remotely',
          hint: 'set management.remoteConfig.allowConnection to true on the gateway to allow it',
        });
    } else if (!REMOTE_TOP_KEYS.includes(k))
      issues.push({
        path: k,
        message: 'cannot be changed remotely',
        hint: `remote patches may change ${[...REMOTE_TOP_KEYS, 'devices'].join(', ')}`,
      });
  }
  return issues;
}

function deviceIssues(devices: unknown): Issue[] {
  if (!isPlainObject(devices))
    return [{ path: 'devices', message: 'must be an object of device names', hint: '{"fan": {...}}' }];
  const issues: Issue[] = [];
  for (const [name, d] of Object.entries(devices)) {
    const base = joinPath('devices', name);
    if (!isPlainObject(d)) {
      issues.push({
        path: base,
        message: 'must be an object',
        hint: 'devices cannot be added or removed remotely',
      });
      continue;
    }
    for (const k of Object.keys(d))
      if (!REMOTE_DEVICE_KEYS.includes(k))
        issues.push({
          path: joinPath(base, k),
          message: 'cannot be changed remotely',
          hint: `remote patches may change ${REMOTE_DEVICE_KEYS.join(', ')} of a device`,
        });
  }
  return issues;
}

/**
 * The raw configuration with `patch` applied (patch already checked), or the issues: a device name
 * the file does not have is an issue with its key path.
 */
export function applyRemotePatch(
  raw: unknown,
  patch: Record<string, unknown>,
): { raw?: unknown; issues: Issue[] } {
  const { devices: devicePatch, ...rest } = patch;
  const merged = mergePatch(raw, rest) as Record<string, unknown>;
  if (devicePatch === undefined) return { raw: merged, issues: [] };
  const list = Array.isArray(merged.devices) ? [...(merged.devices as unknown[])] : [];
  const issues: Issue[] = [];
  for (const [name, d] of Object.entries(devicePatch as Record<string, unknown>)) {
    const i = list.findIndex((x) => isPlainObject(x) && x.name === name);
    if (i < 0) {
      issues.push({ path: joinPath('devices', name), message: 'no such device in the configuration' });
      continue;
    }
    list[i] = mergePatch(list[i], d);
  }
  return issues.length > 0 ? { issues } : { raw: { ...merged, devices: list }, issues: [] };
}
