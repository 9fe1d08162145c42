/**
 * A strict, bounded CBOR decoder for incoming messages (RFC 8949 section 3, well-formedness as in
 * its appendix C), producing the JSON data model oneM2M uses (TS-0004 8.4).
 *
 * Why our own instead of cbor-x's decoder: package.json pins `cbor-extract` 2.2.2 through
 * `overrides` (the only version with prebuilt binaries, so `npm ci` works without a compiler;
 * docs/toolchain.md), and its native string extractor spins forever on a declared length near
 * 2^32 (13 bytes: `6307d131636961335afffffffb`). Untrusted bytes must never reach it. A pre-scan
 * in front of cbor-x would walk every head anyway; decoding in the same walk costs a few more lines
 * and also drops what cbor-x understands but the data model has no use for (shared and cyclic
 * references, records, string references). cbor-x stays our encoder.
 *
 * Guarantees: one pass, no backtracking; a declared length or count larger than the bytes left is
 * refused before anything is allocated; nesting and the number of values are capped
 * (`DecodeLimits`); text must be valid UTF-8; exactly one data item, no trailing bytes.
 * Liberal where it is safe: indefinite lengths, half floats, and tags (decoded as their content).
 */
import { CodecLimitError, CodecMalformedError } from './errors.js';
import { DECODE_LIMITS, type DecodeLimits } from './limits.js';

const utf8 = new TextDecoder('utf-8', { fatal: true });
const INDEFINITE = -1;
/** The `break` stop code (0xff), returned by `item` only where an indefinite container allows it. */
const BREAK = Symbol('break');

class CborReader {
  private pos = 0;
  private items = 0;
  private readonly view: DataView;

  constructor(
    private readonly bytes: Uint8Array,
    private readonly limits: DecodeLimits,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  decodeAll(): unknown {
    const v = this.item(1, false);
    if (this.pos !== this.bytes.length)
      throw malformed(`${this.bytes.length - this.pos} bytes after the data item (one message holds one)`);
    return v;
  }

  private left(): number {
    return this.bytes.length - this.pos;
  }

  private need(n: number, what: string): void {
    if (n > this.left()) throw malformed(`${what} declares ${n} bytes, only ${this.left()} left`);
  }

  /** The argument of a head (RFC 8949 3.1): a number, or INDEFINITE for additional info 31. */
  private argument(info: number): number {
    if (info < 24) return info;
    const at = this.pos;
    switch (info) {
      case 24:
        this.need(1, 'a head');
        this.pos += 1;
        return this.view.getUint8(at);
      case 25:
        this.need(2, 'a head');
        this.pos += 2;
        return this.view.getUint16(at);
      case 26:
        this.need(4, 'a head');
        this.pos += 4;
        return this.view.getUint32(at);
      case 27:
        this.need(8, 'a head');
        this.pos += 8;
        // Exact up to 2^53; beyond, only integers lose precision (JSON.parse does the same), and
        // lengths that large are refused as longer than the message anyway.
        return this.view.getUint32(at) * 2 ** 32 + this.view.getUint32(at + 4);
      case 31:
        return INDEFINITE;
      default:
        throw malformed(`reserved additional information ${info} at byte ${this.pos - 1}`);
    }
  }

  private count(n: number): void {
    this.items += n;
    if (this.items > this.limits.maxItems)
      throw new CodecLimitError('cbor', `more than ${this.limits.maxItems} values`);
  }

  private item(depth: number, breakAllowed: boolean): unknown {
    this.need(1, 'a data item');
    const head = this.view.getUint8(this.pos++);
    const major = head >> 5;
    const info = head & 0x1f;
    if (major === 7) return this.simple(info, breakAllowed);
    const arg = this.argument(info);
    this.count(1);
    switch (major) {
      case 0:
        return arg;
      case 1:
        return -1 - arg;
      case 2:
      case 3:
        return arg === INDEFINITE ? this.chunks(major) : this.string(major, arg);
      case 4:
      case 5:
        if (depth >= this.limits.maxDepth)
          throw new CodecLimitError('cbor', `nested deeper than ${this.limits.maxDepth} levels`);
        return major === 4 ? this.array(arg, depth + 1) : this.map(arg, depth + 1);
      default: // 6: a tag; the data model has none, so the tagged item stands for itself.
        if (arg === INDEFINITE) throw malformed('a tag cannot be indefinite');
        if (depth >= this.limits.maxDepth)
          throw new CodecLimitError('cbor', `nested deeper than ${this.limits.maxDepth} levels`);
        return this.item(depth + 1, false);
    }
  }

  private string(major: number, length: number): string | Uint8Array {
    this.need(length, major === 2 ? 'a byte string' : 'a text string');
    const at = this.pos;
    this.pos += length;
    // A copy, so a kept value does not pin the whole frame buffer.
    if (major === 2) return this.bytes.slice(at, at + length);
    try {
      return utf8.decode(this.bytes.subarray(at, at + length));
    } catch {
      throw malformed(`text string at byte ${at} is not valid UTF-8`);
    }
  }

  /** An indefinite-length string: definite chunks of the same major type up to `break`. */
  private chunks(major: number): string | Uint8Array {
    const parts: (string | Uint8Array)[] = [];
    for (;;) {
      this.need(1, 'an indefinite string');
      const head = this.view.getUint8(this.pos++);
      if (head === 0xff) break;
      const info = head & 0x1f;
      if (head >> 5 !== major || info === 31)
        throw malformed(`chunk of an indefinite string at byte ${this.pos - 1} has the wrong type`);
      this.count(1);
      parts.push(this.string(major, this.argument(info)));
    }
    if (major === 3) return parts.join('');
    return Buffer.concat(parts as Uint8Array[]);
  }

  private array(length: number, depth: number): unknown[] {
    const out: unknown[] = [];
    if (length === INDEFINITE) {
      for (let v = this.item(depth, true); v !== BREAK; v = this.item(depth, true)) out.push(v);
      return out;
    }
    // Each element takes at least one byte: a longer count is a lie, refused before looping.
    this.need(length, 'an array');
    for (let i = 0; i < length; i++) out.push(this.item(depth, false));
    return out;
  }

  private map(length: number, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    if (length !== INDEFINITE) this.need(2 * length, 'a map');
    for (let i = 0; length === INDEFINITE || i < length; i++) {
      const at = this.pos;
      const key = this.item(depth, length === INDEFINITE);
      if (key === BREAK) break;
      if (typeof key !== 'string' && typeof key !== 'number' && typeof key !== 'boolean')
        throw malformed(`map key at byte ${at} is not text or a number`);
      const value = this.item(depth, false);
      // Like JSON.parse: `__proto__` becomes an own member, never the prototype.
      Object.defineProperty(out, String(key), {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }

  /** Major type 7: false, true, null, undefined, floats, and `break` where allowed. */
  private simple(info: number, breakAllowed: boolean): unknown {
    const at = this.pos;
    switch (info) {
      case 20:
        return this.counted(false);
      case 21:
        return this.counted(true);
      case 22:
        return this.counted(null);
      case 23:
        this.count(1);
        return undefined;
      case 25:
        this.need(2, 'a half float');
        this.pos += 2;
        return this.counted(halfFloat(this.view.getUint16(at)));
      case 26:
        this.need(4, 'a float');
        this.pos += 4;
        return this.counted(this.view.getFloat32(at));
      case 27:
        this.need(8, 'a double');
        this.pos += 8;
        return this.counted(this.view.getFloat64(at));
      case 31:
        if (breakAllowed) return BREAK;
        throw malformed(`unexpected break at byte ${at - 1}`);
      default:
        throw malformed(
          `simple value ${info === 24 ? 'with one-byte argument' : info} at byte ${at - 1} is not in the data model`,
        );
    }
  }

  private counted<T>(v: T): T {
    this.count(1);
    return v;
  }
}

/** IEEE 754 binary16 (RFC 8949 appendix D). */
function halfFloat(h: number): number {
  const exp = (h >> 10) & 0x1f;
  const mant = h & 0x3ff;
  const sign = h & 0x8000 ? -1 : 1;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 31) return mant === 0 ? sign * Infinity : NaN;
  return sign * (mant + 1024) * 2 ** (exp - 25);
}

function malformed(message: string): CodecMalformedError {
  return new CodecMalformedError('cbor', message);
}

/** Decodes one CBOR data item; throws `CodecMalformedError` or `CodecLimitError`. */
export function decodeCbor(bytes: Uint8Array, limits: DecodeLimits = DECODE_LIMITS): unknown {
  return new CborReader(bytes, limits).decodeAll();
}
