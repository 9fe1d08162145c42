/**
 * A serial port that stays open: opened with the device's settings, and when it disappears (a USB
 * adapter unplugged, a pty closed) reopened with backoff until it is back. Bytes go to `onData`;
 * protocols frame them (serialport parsers or our pure decoders). Faults go to `onFault`, so the
 * sampler counts them.
 *
 * A hang-up does not always reach serialport: libuv reports a bare POLLHUP as "no event", so the
 * port can look open forever on a dead fd (seen with ptys whose master went away). The connection
 * therefore also checks every `presenceCheckMs` that the path still names the device it opened
 * (same inode of the link and of the node); a vanished or re-created node counts as a loss.
 */
import { promises as fsp } from 'node:fs';
import type { SerialPort } from 'serialport';
import { serialport } from './serialport-module.js';
import type { Clock, TimerHandle } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import { describeError } from '../../util/errors.js';
import { doublingBackoff } from '../../util/backoff.js';
import { DriverNotOpenError, SerialOpenError } from '../errors.js';
import type { SerialSettings } from './settings.js';

/** Delay before reopen attempt `attempt` (0-based): 0.5 s doubling to 30 s. */
export const serialReopenDelayMs = doublingBackoff({ floorMs: 500, capMs: 30_000 });

/** What a `SerialConnection` needs. */
export interface SerialConnectionOptions {
  settings: SerialSettings;
  clock: Clock;
  log: Logger;
  onData(chunk: Buffer): void;
  /** After every successful (re)open: decoders drop partial frames from before. */
  onOpen?(): void;
  onFault(err: Error): void;
  /** Backoff between reopen attempts (default `serialReopenDelayMs`). */
  reopenDelayMs?: (attempt: number) => number;
  /** How often to check that the device node is still there (default 2000 ms). */
  presenceCheckMs?: number;
}

/** Identity of the device node behind `path` (link and target inodes), or undefined when it is gone. */
async function nodeIdentity(path: string): Promise<string | undefined> {
  try {
    const [link, node] = await Promise.all([fsp.lstat(path), fsp.stat(path)]);
    return `${link.dev}:${link.ino}:${node.dev}:${node.ino}:${node.rdev}`;
  } catch {
    return undefined; // ENOENT (unplugged) or unreadable: either way the port cannot be used
  }
}

/** One serial port, reopened when it goes away, until `close`. */
export class SerialConnection {
  private port: SerialPort | undefined;
  private closing = false;
  private reopenTimer: TimerHandle | undefined;
  private presenceTimer: TimerHandle | undefined;
  private attempt = 0;

  constructor(private readonly opts: SerialConnectionOptions) {}

  /** True while the port is open. */
  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  /** Opens the port; rejects with `SerialOpenError` (the sampler retries `open` with backoff). */
  async open(): Promise<void> {
    this.closing = false;
    await this.openPort();
  }

  /** Writes bytes and waits until they are handed to the OS. */
  async write(bytes: Uint8Array): Promise<void> {
    const port = this.port;
    if (!port?.isOpen) throw new DriverNotOpenError(this.opts.settings.path);
    await new Promise<void>((resolve, reject) => {
      port.write(Buffer.from(bytes), (err) => {
        if (err) reject(err);
        else
          port.drain((e) => {
            if (e) reject(e);
            else resolve();
          });
      });
    });
  }

  /** Closes the port and stops reopening. */
  async close(): Promise<void> {
    this.closing = true;
    this.stopTimers();
    const port = this.port;
    this.port = undefined;
    if (port?.isOpen) await closePort(port, this.opts.log);
  }

  private async openPort(): Promise<void> {
    const s = this.opts.settings;
    const port = new (serialport().SerialPort)({
      path: s.path,
      baudRate: s.baudRate,
      dataBits: s.dataBits,
      parity: s.parity,
      stopBits: s.stopBits,
      autoOpen: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        port.open((err) => {
          if (err) reject(err);
          else resolve();
        });
      });
    } catch (err) {
      throw new SerialOpenError(s.path, err);
    }
    const identity = await nodeIdentity(s.path);
    if (this.closing) {
      await closePort(port, this.opts.log);
      return;
    }
    this.port = port;
    this.attempt = 0;
    port.on('data', (chunk: Buffer) => {
      this.opts.onData(chunk);
    });
    port.on('error', (err: Error) => {
      this.opts.log.warn('serial port error', { path: s.path, err: err.message });
      this.opts.onFault(err);
    });
    port.on('close', (err: Error | null) => {
      this.lost(port, err ?? new Error('port closed'));
    });
    this.watchPresence(port, identity);
    this.opts.onOpen?.();
  }

  /** Handles the loss of `port` once: report, release, reopen with backoff. */
  private lost(port: SerialPort, cause: Error): void {
    if (this.port !== port) return;
    this.port = undefined;
    this.stopTimers();
    if (this.closing) return;
    this.opts.log.warn('serial port lost, reopening', { path: this.opts.settings.path, err: cause.message });
    this.opts.onFault(new SerialOpenError(this.opts.settings.path, cause));
    if (port.isOpen) void closePort(port, this.opts.log);
    this.scheduleReopen();
  }

  private watchPresence(port: SerialPort, identity: string | undefined): void {
    this.presenceTimer = this.opts.clock.setTimeout(() => {
      this.presenceTimer = undefined;
      void nodeIdentity(this.opts.settings.path).then((now) => {
        if (this.port !== port) return;
        if (now !== undefined && now === identity) this.watchPresence(port, identity);
        else
          this.lost(
            port,
            new Error(now === undefined ? 'device node disappeared' : 'device node was replaced'),
          );
      });
    }, this.opts.presenceCheckMs ?? 2000);
  }

  private scheduleReopen(): void {
    const delayMs = (this.opts.reopenDelayMs ?? serialReopenDelayMs)(this.attempt++);
    this.reopenTimer = this.opts.clock.setTimeout(() => {
      this.reopenTimer = undefined;
      if (this.closing) return;
      this.openPort().then(
        () => {
          this.opts.log.info('serial port reopened', { path: this.opts.settings.path });
        },
        (err: unknown) => {
          this.opts.log.debug('serial reopen failed', {
            path: this.opts.settings.path,
            err: describeError(err),
          });
          if (!this.closing) this.scheduleReopen();
        },
      );
    }, delayMs);
  }

  private stopTimers(): void {
    if (this.reopenTimer) this.opts.clock.clearTimeout(this.reopenTimer);
    if (this.presenceTimer) this.opts.clock.clearTimeout(this.presenceTimer);
    this.reopenTimer = undefined;
    this.presenceTimer = undefined;
  }
}

function closePort(port: SerialPort, log: Logger): Promise<void> {
  return new Promise<void>((resolve) => {
    port.close((err) => {
      if (err) log.debug('serial close failed', { path: port.path, err: err.message });
      resolve();
    });
  });
}
