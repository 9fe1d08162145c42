/**
 * The file store's quarantine area: records the registrar refused for good, kept with the reason
 * for an operator to inspect. Bounded: when `quarantine.log` passes `maxBytes` it becomes
 * `quarantine.1.log` (replacing the previous one), so at most two generations are kept.
 * Quarantine is rare, so each entry is fsynced at once.
 */
import type { Logger } from '../util/log.js';
import { errCode } from './errors.js';
import { readWholeFile, type FileOps } from './file-ops.js';
import { SEGMENT_MAGIC, encodeFrame, hasSegmentMagic, scanFrames } from './record-codec.js';
import type { QuarantinedRecord, StoredRecord } from './store.js';

const CURRENT = 'quarantine.log';
const PREVIOUS = 'quarantine.1.log';

export class QuarantineFile {
  private fd: number | undefined;
  private bytes = 0;

  constructor(
    private readonly ops: FileOps,
    private readonly dir: string,
    private readonly maxBytes: number,
    private readonly log: Logger,
  ) {}

  /**
   * Sets record `rec` aside with `reason`, durably. A failure is logged, not thrown: the record
   * leaves the queue either way (it was refused for good), and the log line keeps its trace.
   */
  async add(rec: StoredRecord, reason: string, atWallMs: number): Promise<void> {
    try {
      await this.append(encodeFrame(rec.id, rec, { reason, atWallMs }));
    } catch (err) {
      this.log.error('could not write the quarantine file; record dropped', {
        id: rec.id,
        stream: rec.stream,
        reason,
        err,
      });
    }
  }

  /** Appends one encoded kind-2 frame durably. */
  private async append(frame: Uint8Array): Promise<void> {
    if (
      this.fd !== undefined &&
      this.bytes + frame.length > this.maxBytes &&
      this.bytes > SEGMENT_MAGIC.length
    ) {
      await this.closeFd();
      await this.ops.rename(`${this.dir}/${CURRENT}`, `${this.dir}/${PREVIOUS}`);
    }
    const fd = this.fd ?? (await this.openFd());
    try {
      await this.ops.write(fd, frame);
    } catch (err) {
      await this.ops.ftruncate(fd, this.bytes).catch((e: unknown) => {
        this.log.warn('could not trim a failed quarantine write', { err: e });
      });
      throw err;
    }
    this.bytes += frame.length;
    await this.ops.fsync(fd);
  }

  /** Every quarantined record still kept, oldest first. */
  async readAll(): Promise<QuarantinedRecord[]> {
    const out: QuarantinedRecord[] = [];
    for (const name of [PREVIOUS, CURRENT]) {
      let buf: Uint8Array;
      try {
        buf = await readWholeFile(this.ops, `${this.dir}/${name}`);
      } catch (err) {
        if (errCode(err) === 'ENOENT') continue;
        throw err;
      }
      if (!hasSegmentMagic(buf)) continue;
      for (const { record } of scanFrames(buf, SEGMENT_MAGIC.length).records) {
        if ('reason' in record) out.push(record);
      }
    }
    return out;
  }

  async close(): Promise<void> {
    await this.closeFd();
  }

  private async openFd(): Promise<number> {
    const path = `${this.dir}/${CURRENT}`;
    const fd = await this.ops.open(path, 'a');
    let size = await this.ops.size(fd);
    if (size < SEGMENT_MAGIC.length) {
      await this.ops.ftruncate(fd, 0);
      await this.ops.write(fd, SEGMENT_MAGIC);
      size = SEGMENT_MAGIC.length;
    }
    this.fd = fd;
    this.bytes = size;
    return fd;
  }

  private async closeFd(): Promise<void> {
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) await this.ops.close(fd);
  }
}
