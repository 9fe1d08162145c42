/**
 * Normalises the liberal command forms design.md promises ("Names everyone relies on"): `1`/`0`,
 * `"1"`/`"0"`, `"on"`/`"off"`, `true`/`false`, or SenML (RFC 8428) records carrying `v` or `vb`,
 * as an array or a single object, also as JSON text of any of these.
 */
import { jsonBoundsProblem } from '../util/json-bounds.js';
import type { ActuatorCommand } from './types.js';

/** A command's SenML text is a pack of a few records: anything deeper or longer is not one. */
const COMMAND_JSON_BOUNDS = { maxDepth: 8, maxItems: 1000 };

const WORDS: Readonly<Record<string, boolean>> = {
  on: true,
  off: false,
  true: true,
  false: false,
};

/** The command in `content` (a `<contentInstance>`'s `con`), or undefined when it is not one. */
export function parseCommand(content: unknown): ActuatorCommand | undefined {
  return parse(content, 0);
}

function parse(content: unknown, depth: number): ActuatorCommand | undefined {
  if (typeof content === 'boolean') return content;
  if (typeof content === 'number') return Number.isFinite(content) ? content : undefined;
  if (typeof content === 'string') return parseText(content, depth);
  if (Array.isArray(content)) {
    // A SenML pack: the first record that carries a value wins (base fields are not used here).
    for (const rec of content) {
      const cmd = fromRecord(rec);
      if (cmd !== undefined) return cmd;
    }
    return undefined;
  }
  return fromRecord(content);
}

function parseText(text: string, depth: number): ActuatorCommand | undefined {
  const t = text.trim().toLowerCase();
  if (t === '') return undefined;
  const word = WORDS[t];
  if (word !== undefined) return word;
  if (/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(t)) return parse(Number(t), depth);
  // JSON text of a SenML pack or record, e.g. `[{"n":"","v":1}]`; nested text is not unwrapped twice.
  if (depth === 0 && (t.startsWith('[') || t.startsWith('{'))) {
    // Bounded before parsing, like every decoder of outside data (util/json-bounds.ts).
    if (jsonBoundsProblem(text, COMMAND_JSON_BOUNDS)) return undefined;
    let json: unknown;
    try {
      json = JSON.parse(text) as unknown;
    } catch {
      return undefined;
    }
    return parse(json, depth + 1);
  }
  return undefined;
}

function fromRecord(rec: unknown): ActuatorCommand | undefined {
  if (typeof rec !== 'object' || rec === null || Array.isArray(rec)) return undefined;
  const r = rec as Record<string, unknown>;
  if (typeof r['vb'] === 'boolean') return r['vb'];
  if (typeof r['v'] === 'number' && Number.isFinite(r['v'])) return r['v'];
  return undefined;
}

/** A command as a 0/1 level: true or any non-zero number is 1. */
export function commandLevel(cmd: ActuatorCommand): 0 | 1 {
  return typeof cmd === 'boolean' ? (cmd ? 1 : 0) : cmd !== 0 ? 1 : 0;
}
