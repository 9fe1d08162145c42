/**
 * Device management resources (TS-0001 9.6.18, 9.6.15; TS-0004 D.x): `<node>` (ty 14) under the
 * CSEBase and `<mgmtObj>` (ty 13) under a node. A mgmtObj travels as its specialization
 * (`m2m:dvi`, `m2m:mem`, ...), chosen by `mgd`; the attributes and the mandatory ones are those
 * ACME 2026.05.1 validates (its attributePolicies.ap), so what passes here passes there.
 */
import { ResourceType, Rsc, MgmtDefinition } from '../protocol/codes.js';
import type { AttributePolicy, AttrRule } from './attributes.js';
import type { CseContext, CreateInput, Prepared, TypeHandler } from './context.js';
import { refuse } from './errors.js';
import type { ResourceNode } from './tree.js';

const O_O = (type: AttrRule['type']): AttrRule => ({ type, c: 'O', u: 'O' });
const M_O = (type: AttrRule['type']): AttrRule => ({ type, c: 'M', u: 'O' });

export const NODE_POLICY: AttributePolicy = {
  ni: M_O('string'),
  hcl: O_O('string'),
  mgca: O_O('string[]'),
  nid: O_O('string'),
  nty: O_O('number'),
  cstn: O_O('string'),
};

/** Each specialization: its short name and its own attributes (M: mandatory at CREATE). */
const SPECIALIZATIONS: Readonly<
  Record<number, { short: string; attrs: Readonly<Record<string, AttrRule>> }>
> = {
  [MgmtDefinition.Firmware]: {
    short: 'fwr',
    attrs: { vr: M_O('string'), fwn: M_O('string'), url: M_O('string'), ud: M_O('boolean'), uds: O_O('any') },
  },
  [MgmtDefinition.Software]: {
    short: 'swr',
    attrs: {
      vr: M_O('string'),
      swn: M_O('string'),
      url: M_O('string'),
      in: O_O('boolean'),
      un: O_O('boolean'),
      ins: O_O('any'),
      act: O_O('boolean'),
      dea: O_O('boolean'),
      acts: O_O('any'),
    },
  },
  [MgmtDefinition.Memory]: { short: 'mem', attrs: { mma: M_O('number'), mmt: M_O('number') } },
  [MgmtDefinition.Battery]: { short: 'bat', attrs: { btl: M_O('number'), bts: M_O('number') } },
  [MgmtDefinition.DeviceInfo]: {
    short: 'dvi',
    attrs: {
      dlb: M_O('string'),
      man: M_O('string'),
      mod: M_O('string'),
      dty: M_O('string'),
      swv: O_O('string'),
      hwv: O_O('string'),
      osv: O_O('string'),
      dvnm: O_O('string'),
      smod: O_O('string'),
      cnty: O_O('string'),
      syst: O_O('string'),
    },
  },
  [MgmtDefinition.Reboot]: { short: 'rbo', attrs: { rbo: O_O('boolean'), far: O_O('boolean') } },
  [MgmtDefinition.EventLog]: {
    short: 'evl',
    attrs: {
      lgt: M_O('number'),
      lgd: M_O('string'),
      lgst: M_O('number'),
      lga: M_O('boolean'),
      lgo: M_O('boolean'),
    },
  },
};

/** The short name of a mgmtObj of kind `mgd` (`dvi`), or undefined for a kind not served here. */
export function mgmtShortName(mgd: unknown): string | undefined {
  return typeof mgd === 'number' ? SPECIALIZATIONS[mgd]?.short : undefined;
}

/** The `mgd` whose specialization travels as `m2m:<short>`. */
function mgdOfShort(short: string): number | undefined {
  const hit = Object.entries(SPECIALIZATIONS).find(([, s]) => s.short === short);
  return hit ? Number(hit[0]) : undefined;
}

/** Every mgmtObj attribute, as optional: the mandatory ones of the kind are checked in `prepareCreate`. */
const MGMT_OBJ_POLICY: AttributePolicy = {
  mgd: { type: 'number', c: 'M', u: 'NP' },
  obis: O_O('string[]'),
  obps: O_O('string[]'),
  dc: O_O('string'),
  mgs: O_O('string'),
  cmlk: O_O('any'),
  cstn: O_O('string'),
  ...Object.fromEntries(
    Object.values(SPECIALIZATIONS).flatMap((s) =>
      Object.entries(s.attrs).map(([k, r]): [string, AttrRule] => [k, { ...r, c: 'O' }]),
    ),
  ),
};

export const nodeHandler: TypeHandler = {
  ty: ResourceType.Node,
  short: 'nod',
  policy: NODE_POLICY,
  parents: [ResourceType.CSEBase],
  updatable: true,
  prepareCreate(_c: CseContext, input: CreateInput): Prepared {
    return { attrs: { ...input.attrs } };
  },
};

export const mgmtObjHandler: TypeHandler = {
  ty: ResourceType.MgmtObj,
  short: 'mgo',
  policy: MGMT_OBJ_POLICY,
  parents: [ResourceType.Node],
  updatable: true,
  contentShort: (pc) => {
    const key = Object.keys(pc ?? {})[0] ?? '';
    return key.startsWith('m2m:') && mgdOfShort(key.slice(4)) !== undefined ? key.slice(4) : undefined;
  },
  prepareCreate(_c: CseContext, input: CreateInput): Prepared {
    const short = Object.keys(input.req.pc ?? {})[0]?.slice(4) ?? '';
    const mgd = input.attrs.mgd;
    const spec = typeof mgd === 'number' ? SPECIALIZATIONS[mgd] : undefined;
    if (!spec)
      throw refuse(Rsc.BAD_REQUEST, `mgd ${String(mgd)} is not a management object kind served here`);
    if (spec.short !== short)
      throw refuse(Rsc.BAD_REQUEST, `mgd ${String(mgd)} travels as m2m:${spec.short}, not m2m:${short}`);
    for (const [name, rule] of Object.entries(spec.attrs))
      if (rule.c === 'M' && input.attrs[name] === undefined)
        throw refuse(Rsc.BAD_REQUEST, `mandatory attribute ${name} of m2m:${short} is missing`);
    // ACME keeps a reboot object's rbo/far false: they are requests, not state.
    return {
      attrs: mgd === MgmtDefinition.Reboot ? { ...input.attrs, rbo: false, far: false } : { ...input.attrs },
    };
  },
  checkUpdate(_c: CseContext, node: ResourceNode, changes: Readonly<Record<string, unknown>>): void {
    const spec = SPECIALIZATIONS[node.attrs.mgd as number];
    for (const k of Object.keys(changes)) {
      const common = ['dc', 'mgs', 'cmlk', 'obis', 'obps', 'cstn'].includes(k);
      if (!common && spec?.attrs[k] === undefined && !['et', 'lbl', 'acpi', 'at', 'aa', 'daci'].includes(k))
        throw refuse(Rsc.BAD_REQUEST, `attribute ${k} is not an attribute of m2m:${spec?.short ?? 'mgo'}`);
    }
  },
};
