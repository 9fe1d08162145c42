/**
 * Validation of the whole configuration: first the schema pass (`schema/config.schema.json`:
 * unknown keys with "did you mean", types, required keys, ranges, defaults), then the checks a
 * schema cannot express (URL scheme, TLS files readable, parsable and matching, scheduleElement
 * syntax, trusted originators, serializations
 * after mapping legacy names, devices). Every problem is collected; nothing stops at the first.
 */
import { resolve as resolvePath } from 'node:path';
import { isSerialization, serializationOf, type Serialization } from '../codec/subprotocol.js';
import { validateScheduleEntry } from '../connectivity/schedule.js';
import { parseOriginator } from '../protocol/originator.js';
import { joinPath, type Issue } from '../util/issues.js';
import { resolveCompat } from './compat.js';
import { buildDevices, checkDevices, type RawDevice } from './devices.js';
import { applyDefaults, isPlainObject, validateJson } from './json-schema.js';
import type { DeviceModel } from './models.js';
import { checkRegistrar } from './registrar-check.js';
import { configSchema } from './schemas.js';
import type { AgentConfig, NodeConfig, TlsConfig } from './types.js';

export interface ValidateOptions {
  /** Where the configuration came from (kept in `AgentConfig.source`). */
  readonly source?: string;
  /** Relative paths (TLS files, stateDir, metrics) are resolved against this (the config file's directory). */
  readonly baseDir?: string;
  /** Returns why a file cannot be read, or undefined if it can (injected by tests). */
  readonly unreadable?: (path: string) => string | undefined;
  /**
   * Reads a TLS file for the content checks (certificates parse, the key matches). Default: the
   * real file, unless `unreadable` is injected alone (tests faking readability skip the contents).
   */
  readonly readFile?: (path: string) => Buffer;
}

/**
 * The configuration after the schema pass and defaults (the schema guarantees this shape): the
 * validated one, but for what `build` still resolves (compat, serialization names, devices).
 */
type RawConfig = Omit<AgentConfig, 'registrar' | 'serializations' | 'devices' | 'source'> & {
  readonly registrar: Omit<AgentConfig['registrar'], 'compat' | 'compatPreset' | 'proxy'> & {
    readonly proxy?: string | null;
    readonly compat: unknown;
  };
  readonly serializations: readonly string[];
  readonly devices: readonly RawDevice[];
};

/** `cbor`, or a subprotocol name (`oneM2M.R2.0.json` is a legacy name for json). */
function toSerialization(s: unknown): Serialization | undefined {
  if (typeof s !== 'string') return undefined;
  return isSerialization(s) ? s : serializationOf(s);
}

/** Reads `obj.a.b` without trusting the shape. */
function get(obj: unknown, ...keys: string[]): unknown {
  let cur = obj;
  for (const k of keys) cur = isPlainObject(cur) ? cur[k] : undefined;
  return cur;
}

/** Checks the keys that need more than the schema; appends to `issues`. */
function crossCheck(
  raw: Record<string, unknown>,
  models: ReadonlyMap<string, DeviceModel>,
  issues: Issue[],
  opts: ValidateOptions,
): void {
  issues.push(
    ...checkRegistrar(raw, opts),
    ...checkAsnCseId(raw),
    ...checkRole(raw),
    ...checkTrustedOriginators(raw),
    ...checkSerializations(raw),
    ...checkSchedule(raw.schedule),
    ...checkBackoff(raw),
    ...checkDevices(raw.devices, models),
  );
}

function checkAsnCseId(raw: Record<string, unknown>): Issue[] {
  if (get(raw, 'node', 'role') !== 'asn' || get(raw, 'node', 'cseId') !== undefined) return [];
  return [
    { path: 'node.cseId', message: 'missing: role asn needs its own CSE-ID', hint: 'e.g. /id-barn-gw-1' },
  ];
}

function checkTrustedOriginators(raw: Record<string, unknown>): Issue[] {
  const trusted = raw.trustedOriginators;
  if (!Array.isArray(trusted)) return [];
  const issues: Issue[] = [];
  const cseId = get(raw, 'registrar', 'cseId');
  trusted.forEach((t, i) => {
    if (typeof t !== 'string' || t === '') return;
    if (parseOriginator(t, { registrarCseId: typeof cseId === 'string' ? cseId : '/id-in' }) === undefined)
      issues.push({
        path: joinPath('trustedOriginators', i),
        message: `${JSON.stringify(t)} is not an originator (CSE-ID or AE-ID) in a TS-0001 form`,
        hint: 'e.g. /id-in (a CSE), Cadmin or /id-in/Cadmin (an AE), Sfleet, //sp.example/id-mn (another SP)',
      });
  });
  return issues;
}

/** Each serialization once (after mapping legacy names), and json when the offer puts it first. */
function checkSerializations(raw: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  const sers = raw.serializations;
  const mapped = Array.isArray(sers) ? sers.map(toSerialization) : [];
  mapped.forEach((s, i) => {
    if (s !== undefined && mapped.indexOf(s) < i) {
      issues.push({
        path: joinPath('serializations', i),
        message: `${JSON.stringify(Array.isArray(sers) ? sers[i] : '')} means ${s}, already listed at serializations[${mapped.indexOf(s)}]`,
        hint: 'list each serialization once',
      });
    }
  });
  const compat = resolveCompat(get(raw, 'registrar', 'compat'));
  if (
    compat.switches.subprotocolOffer === 'legacy-json-first' &&
    Array.isArray(sers) &&
    !mapped.includes('json')
  ) {
    issues.push({
      path: 'serializations',
      message: 'the legacy-json-first offer (mobius preset) needs json among the serializations',
      hint: 'add "json": Mobius speaks JSON only',
    });
  }
  return issues;
}

function checkSchedule(schedule: unknown): Issue[] {
  if (!Array.isArray(schedule)) return [];
  return schedule.flatMap((entry: unknown, i) =>
    typeof entry !== 'string'
      ? []
      : validateScheduleEntry(entry).map((message) => ({
          path: joinPath('schedule', i),
          message,
          hint: '7 fields, UTC: second minute hour day-of-month month day-of-week year, e.g. "* 0-4 * * * * *"',
        })),
  );
}

function checkBackoff(raw: Record<string, unknown>): Issue[] {
  const floor = get(raw, 'link', 'backoffFloorMs');
  const cap = get(raw, 'link', 'backoffCapMs');
  if (typeof floor !== 'number' || typeof cap !== 'number' || cap >= floor) return [];
  return [
    {
      path: 'link.backoffCapMs',
      message: `${cap} is below link.backoffFloorMs (${floor})`,
      hint: 'the cap must be >= the floor',
    },
  ];
}

/** Keys that only make sense in one role, and an ASN that its registrar could never reach. */
function checkRole(raw: Record<string, unknown>): Issue[] {
  const issues: Issue[] = [];
  const role = get(raw, 'node', 'role') ?? 'adn';
  const devices = raw.devices;
  if (role !== 'asn' && Array.isArray(devices)) {
    devices.forEach((d: unknown, i) => {
      if (isPlainObject(d) && d.push === false)
        issues.push({
          path: joinPath(joinPath('devices', i), 'push'),
          message: "push: false keeps readings only in the agent's own CSE, which only the asn role has",
          hint: 'set node.role to "asn" (with node.cseId), or remove push',
        });
    });
  }
  if (role === 'asn' && !resolveCompat(get(raw, 'registrar', 'compat')).switches.notificationsOverLink)
    issues.push({
      path: 'registrar.compat',
      message: "the asn role needs a registrar that sends requests over the agent's connection",
      hint: 'this registrar (notificationsOverLink false, e.g. Mobius) cannot route requests to an ASN behind NAT: use the adn role',
    });
  return issues;
}

/** Builds the typed configuration from a raw value that passed every check. */
function build(r: RawConfig, models: ReadonlyMap<string, DeviceModel>, opts: ValidateOptions): AgentConfig {
  const abs = (p: string): string => (opts.baseDir === undefined ? p : resolvePath(opts.baseDir, p));
  const compat = resolveCompat(r.registrar.compat);
  const tls = r.registrar.tls;
  const tlsConfig: TlsConfig | undefined =
    tls === undefined
      ? undefined
      : {
          ...(tls.ca === undefined ? {} : { ca: abs(tls.ca) }),
          ...(tls.cert === undefined ? {} : { cert: abs(tls.cert) }),
          ...(tls.key === undefined ? {} : { key: abs(tls.key) }),
          ...(tls.insecure === undefined ? {} : { insecure: tls.insecure }),
        };
  const node: NodeConfig = {
    role: r.node.role,
    name: r.node.name,
    appId: r.node.appId,
    ...(r.node.originator === undefined ? {} : { originator: r.node.originator }),
    ...(r.node.cseId === undefined ? {} : { cseId: r.node.cseId }),
    ...(r.node.registrationCheckSeconds === undefined
      ? {}
      : { registrationCheckSeconds: r.node.registrationCheckSeconds }),
  };
  return {
    registrar: {
      url: r.registrar.url,
      cseId: r.registrar.cseId,
      ...(r.registrar.spId === undefined ? {} : { spId: r.registrar.spId }),
      cseName: r.registrar.cseName,
      ...(tlsConfig === undefined ? {} : { tls: tlsConfig }),
      ...(typeof r.registrar.proxy === 'string' ? { proxy: r.registrar.proxy } : {}),
      compatPreset: compat.preset,
      compat: compat.switches,
    },
    node,
    serializations: r.serializations.map((s) => toSerialization(s) as Serialization),
    releaseVersion: r.releaseVersion,
    stateDir: abs(r.stateDir),
    ...(r.schedule === undefined ? {} : { schedule: [...r.schedule] }),
    buffer: { ...r.buffer },
    link: { ...r.link },
    management: { ...r.management },
    trustedOriginators: [...r.trustedOriginators],
    contentFormat: r.contentFormat,
    devices: buildDevices(r.devices, models, r.contentFormat),
    logLevel: r.logLevel,
    ...(r.metrics === undefined ? {} : { metrics: { textfile: abs(r.metrics.textfile) } }),
    source: opts.source ?? '(inline)',
  };
}

/**
 * Validates a parsed configuration against the schema and the cross-field rules, with device
 * models from `loadDeviceModels`. Returns every issue; `config` only when there are none.
 */
export function validateConfig(
  raw: unknown,
  models: ReadonlyMap<string, DeviceModel>,
  opts: ValidateOptions = {},
): { config?: AgentConfig; issues: Issue[] } {
  const schema = configSchema();
  const issues = validateJson(schema, raw);
  if (!isPlainObject(raw)) return { issues };
  const filled = applyDefaults(schema, raw) as Record<string, unknown>;
  crossCheck(filled, models, issues, opts);
  if (issues.length > 0) return { issues };
  return { config: build(filled as unknown as RawConfig, models, opts), issues };
}
