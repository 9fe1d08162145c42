/**
 * Record ids are handed out from a block reserved durably in the `seq` file (replaced atomically)
 * before any id of the block is used. After a power cut that lost the last records, the next
 * start continues past the reservation, so an id is never reused (idempotent resource names are
 * derived from ids: a reused id would make a new reading look like an old duplicate).
 */
import type { Logger } from '../util/log.js';
import { errCode, mapError } from './errors.js';
import { readWholeFile, replaceFile, type FileOps } from './file-ops.js';

const SEQ_FILE = 'seq';

export class IdReservation {
  /** Ids below this are reserved (0: nothing reserved yet). */
  private upTo = 0;

  constructor(
    private readonly ops: FileOps,
    private readonly dir: string,
    private readonly block: number,
    private readonly log: Logger,
  ) {}

  /** Reads the stored reservation; returns the first id that is safe to use given it. */
  async load(): Promise<number> {
    try {
      const text = new TextDecoder().decode(await readWholeFile(this.ops, `${this.dir}/${SEQ_FILE}`));
      const n = Number(text.trim());
      if (Number.isSafeInteger(n) && n >= 0) this.upTo = n;
      else this.log.warn('outbox id reservation file unreadable; continuing from the highest stored id');
    } catch (err) {
      if (errCode(err) !== 'ENOENT') this.log.warn('outbox id reservation file unreadable', { err });
    }
    return this.upTo;
  }

  /** Makes sure `lastId` is reserved, reserving a new block from `fromId` if not. */
  async ensure(lastId: number, fromId = lastId + 1): Promise<void> {
    if (lastId < this.upTo) return;
    const upTo = fromId + this.block;
    try {
      await replaceFile(this.ops, this.dir, SEQ_FILE, new TextEncoder().encode(`${upTo}\n`));
    } catch (err) {
      throw mapError('reserving ids', err);
    }
    this.upTo = upTo;
  }
}
