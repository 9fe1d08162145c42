/**
 * Typed access to a device's `params`. The config loader validates params against the model's
 * `paramsSchema`, but drivers are also created directly (tests, demo), so each driver checks what
 * it reads here, at its edge, and fails with a `DriverParamsError` naming the key.
 */
import { DriverParamsError } from './errors.js';

interface NumberRule {
  min?: number;
  max?: number;
}

/** Reads and checks driver parameters; every getter throws `DriverParamsError` with the key path. */
export class ParamReader {
  constructor(
    private readonly params: Readonly<Record<string, unknown>>,
    private readonly base = 'params',
  ) {}

  /** True when the key is present and not null. */
  has(key: string): boolean {
    return this.params[key] !== undefined && this.params[key] !== null;
  }

  /** A required or defaulted string. */
  string(key: string, fallback?: string): string {
    const v = this.params[key] ?? fallback;
    if (typeof v !== 'string' || v === '') throw this.fail(key, 'must be a non-empty string');
    return v;
  }

  /** An optional string (undefined when absent). */
  optionalString(key: string): string | undefined {
    return this.has(key) ? this.string(key) : undefined;
  }

  /** A number in range; `fallback` when absent. */
  number(key: string, fallback?: number, rule: NumberRule = {}): number {
    const v = this.params[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) throw this.fail(key, 'must be a number');
    return this.range(key, v, rule);
  }

  /** An integer in range; `fallback` when absent. */
  integer(key: string, fallback?: number, rule: NumberRule = {}): number {
    const v = this.params[key] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v)) throw this.fail(key, 'must be an integer');
    return this.range(key, v, rule);
  }

  /** An optional integer (undefined when absent). */
  optionalInteger(key: string, rule: NumberRule = {}): number | undefined {
    return this.has(key) ? this.integer(key, undefined, rule) : undefined;
  }

  /** A boolean; `fallback` when absent. */
  boolean(key: string, fallback: boolean): boolean {
    const v = this.params[key] ?? fallback;
    if (typeof v !== 'boolean') throw this.fail(key, 'must be true or false');
    return v;
  }

  /** One of a fixed set of strings. */
  oneOf<T extends string>(key: string, allowed: readonly T[], fallback?: T): T {
    const v = this.params[key] ?? fallback;
    if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
      throw this.fail(key, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    }
    return v as T;
  }

  /** A level given as 0/1 or false/true. */
  level(key: string, fallback: 0 | 1): 0 | 1 {
    const v = this.params[key] ?? fallback;
    if (v === 0 || v === false) return 0;
    if (v === 1 || v === true) return 1;
    throw this.fail(key, 'must be 0, 1, false or true');
  }

  /** A `{ name: string }` map (e.g. units per reading name). */
  stringMap(key: string): Readonly<Record<string, string>> {
    const v = this.params[key];
    if (v === undefined || v === null) return {};
    if (typeof v !== 'object' || Array.isArray(v)) throw this.fail(key, 'must be an object of strings');
    const out: Record<string, string> = {};
    for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
      if (typeof s !== 'string') throw this.fail(`${key}.${k}`, 'must be a string');
      out[k] = s;
    }
    return out;
  }

  /** An error for `key`, for checks the getters cannot express. */
  fail(key: string, message: string): DriverParamsError {
    return new DriverParamsError(`${this.base}.${key}`, message);
  }

  private range(key: string, v: number, rule: NumberRule): number {
    if (rule.min !== undefined && v < rule.min) throw this.fail(key, `must be at least ${rule.min}`);
    if (rule.max !== undefined && v > rule.max) throw this.fail(key, `must be at most ${rule.max}`);
    return v;
  }
}
