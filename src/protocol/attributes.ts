/**
 * The data-model type of resource attributes and of members nested in parameters, by short
 * name (TS-0004 clause 8, TS-0004 Annex "short names"). JSON and CBOR carry their own types; XML
 * carries only text, so the XML codec asks this table which element text becomes a number, a
 * boolean or an array. Names not listed stay strings (or objects when they have children).
 */
import { RESOURCE_SHORT_NAME } from './codes.js';

/**
 * - `number` / `boolean`: element text converted back.
 * - `list` / `numberList`: an `xs:list`, one element whose text holds space-separated values.
 * - `repeated`: an element that may occur several times; always an array in the data model.
 */
export type AttributeKind = 'number' | 'boolean' | 'list' | 'numberList' | 'repeated';

const NUMBERS = [
  // common and resource-specific numeric / enumeration attributes
  ...['ty', 'st', 'mni', 'mbs', 'mia', 'cni', 'cbs', 'cs', 'cst', 'rtv', 'net', 'nct', 'exc', 'pn', 'nsp'],
  ...['psn', 'nec', 'mt', 'cnm', 'mnm', 'csy', 'nar', 'acop', 'mgd', 'mgca', 'nty', 'btl', 'bts', 'mma'],
  ...['mmt', 'dcrp', 'pei', 'peid', 'mdn', 'mdc', 'mdt', 'snr', 'rs', 'num', 'mnn', 'mtcc', 'typ'],
  // filter criteria and primitive-like members
  ...['lim', 'lvl', 'ofst', 'fu', 'fo', 'sza', 'szb', 'sts', 'stb', 'drt', 'rcn', 'ec', 'op', 'rsc'],
  ...['cnst', 'cnot', 'acn', 'sus'],
] as const;

const BOOLEANS = [
  ...['rr', 'da', 'sqi', 'vrq', 'sud', 'disr', 'mtv', 'ssi', 'nse', 'ln', 'trps', 'tren', 'mdd', 'ud'],
  ...['nco', 'tqi', 'auri'],
] as const;

const LISTS = [
  ...['acpi', 'lbl', 'poa', 'srv', 'nu', 'rids', 'csz', 'at', 'aa', 'daci', 'mid', 'macp', 'hael', 'hsl'],
  ...['dcse', 'acor', 'acrs', 'mdlt', 'cty', 'clbl', 'palb', 'tkns', 'tids', 'ltids', 'grtm', 'ati'],
  ...['m2m:uril', 'm2m:atrl'],
] as const;

const NUMBER_LISTS = ['srt', 'chty', 'pty'] as const;

// `sce` entries contain spaces, so a schedule repeats `<sce>` instead of using an xs:list.
const REPEATED = ['sce', 'ch', 'acr', 'acco', 'nsi'] as const;

const DEFAULTS = new Map<string, AttributeKind>([
  ...NUMBERS.map((n) => [n, 'number'] as const),
  ...BOOLEANS.map((n) => [n, 'boolean'] as const),
  ...LISTS.map((n) => [n, 'list'] as const),
  ...NUMBER_LISTS.map((n) => [n, 'numberList'] as const),
  ...REPEATED.map((n) => [n, 'repeated'] as const),
]);

/** Names whose kind depends on the enclosing element. */
const BY_PARENT: Readonly<Record<string, Readonly<Record<string, AttributeKind>>>> = {
  // filterCriteria: resource types are lists; attribute conditions repeat as {nm, val}
  fc: { ty: 'numberList', atr: 'repeated', catr: 'repeated', patr: 'repeated' },
  // eventNotificationCriteria: `net` is a list here (a single number in `nev`), `atr` names attributes
  enc: { net: 'numberList', atr: 'list', om: 'repeated' },
  'm2m:agn': { 'm2m:sgn': 'repeated' },
  'm2m:agr': { 'm2m:rsp': 'repeated' },
};

/** Members written as XML attributes instead of child elements (`rn` on resources, `ch` refs). */
export const XML_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  ch: ['nm', 'typ', 'spid'],
};

const RESOURCE_ELEMENTS = new Set(Object.values(RESOURCE_SHORT_NAME).map((n) => `m2m:${n}`));

/** The kind of a member `name` inside element `parent`, or undefined for a plain string / object. */
export function attributeKind(parent: string, name: string): AttributeKind | undefined {
  // Child resources inside a resource (rcn 4, 8) are arrays, e.g. `"m2m:cin": [{...}]` in `m2m:cnt`.
  if (RESOURCE_ELEMENTS.has(parent) && name.startsWith('m2m:')) return 'repeated';
  return BY_PARENT[parent]?.[name] ?? DEFAULTS.get(name);
}
