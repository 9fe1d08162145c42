/**
 * permessage-deflate (RFC 7692) without the thread pool. `ws` compresses and inflates every
 * message through zlib's asynchronous API: a thread-pool round trip each way, about 11 context
 * switches per reading at 10 readings/s (the same for a bare `ws` client), and compressed frames
 * that miss the socket's cork because they are written after it. Our messages are a few hundred
 * bytes, which zlib handles in microseconds, so on our links they go through the same zlib streams
 * synchronously, context takeover kept.
 *
 * How (minizlib's way, the zlib streams of npm's tar): Node's `_processChunk` without a callback is
 * synchronous but closes the stream when done; for the call, `close` is a no-op and the native
 * handle is put back. What `ws` (8.x, lib/permessage-deflate.js) does around it is kept: the
 * trailer, window sizes, `*_no_context_takeover`, a fresh inflater after a final block, inflated
 * size capped at `maxPayload` (close 1009), corrupt data refused (close 1007). Applied per link,
 * only when the link agreed on permessage-deflate and `ws` has the methods replaced here.
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import zlib from 'node:zlib';
import type WebSocket from 'ws';

const require = createRequire(import.meta.url);
/** `ws`'s own symbol for an error's close code (not exported; same module instance as ws's). */
const { kStatusCode } = require(join(dirname(require.resolve('ws/package.json')), 'lib/constants.js')) as {
  kStatusCode: symbol;
};

type Done = (err: Error | null, result?: Buffer) => void;

/** The part of `ws`'s per-link PerMessageDeflate used here. */
interface PerMessageDeflate {
  params: Record<string, unknown>;
  _isServer: boolean;
  _maxPayload: number;
  _options: { zlibDeflateOptions?: zlib.ZlibOptions; zlibInflateOptions?: zlib.ZlibOptions };
  _deflate: zlib.DeflateRaw | null;
  _inflate: zlib.InflateRaw | null;
  _compress(data: Buffer | string, fin: boolean, done: Done): void;
  _decompress(data: Buffer, fin: boolean, done: Done): void;
}

/** Node's zlib stream internals `processSync` relies on. */
interface ZlibInternals {
  _handle: { close(): void } | null;
  _writeState: Uint32Array;
  close(): void;
  _processChunk(chunk: Buffer, flushFlag: number): Buffer;
}

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Replaces `ws`'s asynchronous compression of this link with the synchronous one. */
export function useSyncDeflate(ws: WebSocket): boolean {
  const extensions = (ws as unknown as { _extensions?: Record<string, unknown> })._extensions;
  const pmd = extensions?.['permessage-deflate'] as PerMessageDeflate | undefined;
  if (!pmd || typeof pmd._compress !== 'function' || typeof pmd._decompress !== 'function') return false;
  pmd._compress = compress;
  pmd._decompress = decompress;
  return true;
}

/**
 * One chunk through `stream` with a sync flush; the stream stays open. `unread`: input zlib left
 * unread (it stops after the final block of a deflate stream).
 */
function processSync(
  stream: zlib.DeflateRaw | zlib.InflateRaw,
  chunk: Buffer,
): { out: Buffer; unread: number } {
  const s = stream as unknown as ZlibInternals & NodeJS.EventEmitter;
  const native = s._handle;
  if (!native) throw new Error('zlib stream is closed');
  const closeNative = Object.getOwnPropertyDescriptor(native, 'close');
  const closeStream = Object.getOwnPropertyDescriptor(s, 'close');
  native.close = noop;
  s.close = noop;
  try {
    // A copy: the result may be a view of the stream's output buffer, which the next call reuses
    // (and a corked socket still holds the frames written before).
    const out = Buffer.from(s._processChunk(chunk, zlib.constants.Z_SYNC_FLUSH));
    return { out, unread: s._writeState[1] ?? 0 };
  } finally {
    s._handle = native; // Node's close path cleared it
    restoreClose(native, closeNative);
    restoreClose(s, closeStream);
    s.removeAllListeners('error'); // each call adds one
  }
}

function noop(): void {
  // the stream stays open across messages (context takeover)
}

/** Puts back an own `close`, or removes ours so the prototype's shows again. */
function restoreClose(o: { close(): void }, own: PropertyDescriptor | undefined): void {
  if (own) Object.defineProperty(o, 'close', own);
  else delete (o as { close?: unknown }).close;
}

function windowBits(pmd: PerMessageDeflate, endpoint: 'client' | 'server'): number {
  const bits = pmd.params[`${endpoint}_max_window_bits`];
  return typeof bits === 'number' ? bits : zlib.constants.Z_DEFAULT_WINDOWBITS;
}

function compress(this: PerMessageDeflate, data: Buffer | string, fin: boolean, done: Done): void {
  const endpoint = this._isServer ? 'server' : 'client';
  this._deflate ??= zlib.createDeflateRaw({
    ...this._options.zlibDeflateOptions,
    windowBits: windowBits(this, endpoint),
  });
  let out: Buffer;
  try {
    out = processSync(this._deflate, typeof data === 'string' ? Buffer.from(data) : data).out;
  } catch (err) {
    this._deflate.close();
    this._deflate = null;
    done(err as Error);
    return;
  }
  // RFC 7692 7.2.1: a message's data ends without the sync flush's empty block.
  if (fin) out = out.subarray(0, out.length - 4);
  if (fin && this.params[`${endpoint}_no_context_takeover`]) this._deflate.reset();
  // `ws`'s sender takes the result at once (its state machine allows it); the frame then goes out
  // in the same turn, inside the connection's cork.
  done(null, out);
}

function decompress(this: PerMessageDeflate, data: Buffer, fin: boolean, done: Done): void {
  const endpoint = this._isServer ? 'client' : 'server';
  this._inflate ??= zlib.createInflateRaw({
    ...this._options.zlibInflateOptions,
    windowBits: windowBits(this, endpoint),
    // Bounded while inflating: a small frame must not expand into memory before the size check.
    ...(this._maxPayload > 0 ? { maxOutputLength: this._maxPayload } : {}),
  });
  let result: { out: Buffer; unread: number };
  try {
    result = processSync(this._inflate, fin ? Buffer.concat([data, TRAILER]) : data);
  } catch (err) {
    this._inflate.close();
    this._inflate = null;
    deferred(done, inflateError(err));
    return;
  }
  if (result.unread > 0) {
    // The peer ended its deflate stream (a final block): the next message starts a new one.
    this._inflate.close();
    this._inflate = null;
  } else if (fin && this.params[`${endpoint}_no_context_takeover`]) {
    this._inflate.reset();
  }
  // `ws`'s receiver must see the answer later, as from the thread pool: its read loop is not
  // re-entrant. A microtask, still in this turn.
  deferred(done, null, result.out);
}

function deferred(done: Done, err: Error | null, out?: Buffer): void {
  queueMicrotask(() => {
    done(err, out);
  });
}

/** The error `ws` would raise, with the close code it would send. */
function inflateError(err: unknown): Error {
  const e = err instanceof Error ? err : new Error(String(err));
  if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
    return Object.assign(new RangeError('Max payload size exceeded'), {
      code: 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH',
      [kStatusCode]: 1009,
    });
  return Object.assign(e, { [kStatusCode]: 1007 });
}
