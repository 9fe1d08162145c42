/**
 * Splits a byte stream into lines with serialport's `ReadlineParser` (`\n`, a trailing `\r`
 * removed). A stream that never sends a newline (wrong baud rate) would grow the parser's buffer
 * without bound, so a line longer than `maxLineBytes` is dropped and reported.
 */
import type { ReadlineParser } from 'serialport';
import { serialport } from './serialport-module.js';
import { FrameError } from '../errors.js';

/** Options of a `LineFramer`. */
export interface LineFramerOptions {
  onLine(line: string): void;
  onFault(err: Error): void;
  /** Protocol name for errors. */
  protocol: string;
  encoding?: BufferEncoding;
  maxLineBytes?: number;
}

/** Feeds chunks in, calls `onLine` per complete line. */
export class LineFramer {
  private parser: ReadlineParser;
  private pendingBytes = 0;

  constructor(private readonly opts: LineFramerOptions) {
    this.parser = this.makeParser();
  }

  /** Feeds received bytes. */
  push(chunk: Buffer): void {
    const maxLineBytes = this.opts.maxLineBytes ?? 4096;
    // Bytes after the last newline of this chunk are what stays buffered in the parser.
    const lastNl = chunk.lastIndexOf(0x0a);
    this.pendingBytes = lastNl < 0 ? this.pendingBytes + chunk.length : chunk.length - lastNl - 1;
    if (lastNl < 0 && this.pendingBytes > maxLineBytes) {
      this.reset();
      this.opts.onFault(
        new FrameError(this.opts.protocol, `no line end within ${maxLineBytes} bytes, dropped`),
      );
      return;
    }
    this.parser.write(chunk);
  }

  /** Drops a partial line (after the port was reopened). */
  reset(): void {
    this.parser.removeAllListeners();
    this.parser.destroy();
    this.parser = this.makeParser();
    this.pendingBytes = 0;
  }

  private makeParser(): ReadlineParser {
    const parser = new (serialport().ReadlineParser)({
      delimiter: '\n',
      encoding: this.opts.encoding ?? 'utf8',
    });
    parser.on('data', (line: string) => {
      this.opts.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    });
    return parser;
  }
}
