/**
 * A pending upload: what the outbox keeps for one reading until it is delivered. It is
 * protocol-neutral: `fr`, the absolute `to`, `rqi`, `rvi` and the link's serialization are bound
 * only when it is sent (design.md, main loop step 3).
 */
import type { Reading } from '../drivers/types.js';
import { PendingUploadCorruptError } from './errors.js';

export interface PendingUpload {
  /** Device (stream) name: the container it goes to. */
  readonly device: string;
  readonly readings: readonly Pick<Reading, 'n' | 'v' | 'vb' | 'vs' | 'u'>[];
  /** Sampling time (wall ms) and the monotonic clock at that moment, with the boot it belongs to. */
  readonly timeMs: number;
  readonly monoMs: number;
  readonly bootId: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function encodePending(p: PendingUpload): Uint8Array {
  return encoder.encode(JSON.stringify(p));
}

export function decodePending(bytes: Uint8Array): PendingUpload {
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    throw new PendingUploadCorruptError(`pending upload is not JSON: ${(err as Error).message}`);
  }
  const o = raw as Partial<PendingUpload>;
  if (
    typeof o !== 'object' ||
    o === null ||
    typeof o.device !== 'string' ||
    !Array.isArray(o.readings) ||
    typeof o.timeMs !== 'number'
  ) {
    throw new PendingUploadCorruptError('pending upload lacks device, readings or timeMs');
  }
  return {
    device: o.device,
    readings: o.readings,
    timeMs: o.timeMs,
    monoMs: typeof o.monoMs === 'number' ? o.monoMs : 0,
    bootId: typeof o.bootId === 'string' ? o.bootId : '',
  };
}
