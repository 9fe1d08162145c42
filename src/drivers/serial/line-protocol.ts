/**
 * The generic line protocol (pure): a regular expression with named groups turns one line into
 * readings, one per matched group: `T=(?<temperature>-?\d+\.\d+) H=(?<humidity>\d+)` on
 * `T=21.50 H=40` gives temperature 21.5 and humidity 40. Numeric text becomes `v`, the literal
 * words true/false become `vb`, anything else `vs`.
 */
import type { Reading } from '../types.js';
import { stampReading } from '../reading.js';
import { DriverParamsError, FrameError } from '../errors.js';

/** Compiles `params.pattern`; it must be a valid expression with at least one named group. */
export function compileLinePattern(pattern: string, flags = ''): RegExp {
  let re: RegExp;
  try {
    re = new RegExp(pattern, flags.replace(/[gy]/g, ''));
  } catch (err) {
    throw new DriverParamsError(
      'params.pattern',
      `not a valid regular expression: ${(err as Error).message}`,
    );
  }
  if (!/\(\?<[A-Za-z_$][\w$]*>/.test(pattern)) {
    throw new DriverParamsError(
      'params.pattern',
      'needs at least one named group, e.g. (?<temperature>-?\\d+(\\.\\d+)?)',
    );
  }
  return re;
}

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Readings from one line; throws `FrameError` when the line does not match. Groups that did not
 * take part in the match (alternations) are left out.
 */
export function parseLine(
  line: string,
  re: RegExp,
  units: Readonly<Record<string, string | undefined>>,
  at: { timeMs: number; monoMs: number },
): Reading[] {
  const m = re.exec(line);
  if (!m?.groups)
    throw new FrameError(
      'serial-line',
      `line does not match the pattern: ${JSON.stringify(line.slice(0, 80))}`,
    );
  const out: Reading[] = [];
  for (const [name, raw] of Object.entries(m.groups)) {
    if (raw === undefined) continue;
    const text = raw.trim();
    const value = NUMBER.test(text) ? Number(text) : text === 'true' ? true : text === 'false' ? false : text;
    out.push(stampReading(at, name, value, units[name]));
  }
  return out;
}
