/**
 * A tiny structured logger. On a TTY it prints readable lines; otherwise one JSON object per line
 * with the `<N>` syslog priority prefix that journald reads (so `journalctl -p warning` works).
 */
import { redactSecrets } from './redact.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line (e.g. `{ component: 'link' }`). */
  child(fields: LogFields): Logger;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
const SYSLOG: Record<LogLevel, number> = { debug: 7, info: 6, warn: 4, error: 3 };

export interface LoggerOptions {
  level?: LogLevel;
  /** Force JSON lines (true) or readable lines (false); default: JSON unless the stream is a TTY. */
  json?: boolean;
  write?: (line: string) => void;
  fields?: LogFields;
}

export function isLogLevel(s: string): s is LogLevel {
  return s in RANK;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const json = opts.json ?? !process.stdout.isTTY;
  const rawWrite = opts.write ?? ((line: string) => process.stdout.write(line + '\n'));
  const base = opts.fields ?? {};
  // Every line is redacted as a whole: a credential in a field, a nested error or its cause is masked too.
  const write = (line: string): void => {
    rawWrite(redactSecrets(line));
  };
  const emit = (lvl: LogLevel, msg: string, fields?: LogFields): void => {
    if (RANK[lvl] < RANK[level]) return;
    const all = { ...base, ...fields };
    if (json) {
      write(`<${SYSLOG[lvl]}>${JSON.stringify({ level: lvl, msg, ...all }, jsonSafe)}`);
    } else {
      const extra = Object.entries(all)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v, jsonSafe)}`)
        .join(' ');
      const time = new Date().toISOString().slice(11, 23);
      write(`${time} ${lvl.toUpperCase().padEnd(5)} ${msg}${extra ? '  ' + extra : ''}`);
    }
  };
  return {
    debug: (m, f) => {
      emit('debug', m, f);
    },
    info: (m, f) => {
      emit('info', m, f);
    },
    warn: (m, f) => {
      emit('warn', m, f);
    },
    error: (m, f) => {
      emit('error', m, f);
    },
    child: (fields) => createLogger({ level, json, write: rawWrite, fields: { ...base, ...fields } }),
  };
}

function jsonSafe(_key: string, value: unknown): unknown {
  if (value instanceof Error) return { name: value.name, message: value.message, ...(value as object) };
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `<${value.length} bytes>`;
  return value;
}

/** A logger that drops everything (tests, benchmarks). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** A logger that records lines in memory, for tests that assert on what was logged. */
export function memoryLogger(): Logger & { lines: { level: LogLevel; msg: string; fields: LogFields }[] } {
  const lines: { level: LogLevel; msg: string; fields: LogFields }[] = [];
  const make = (base: LogFields): Logger => ({
    debug: (msg, f) => lines.push({ level: 'debug', msg, fields: { ...base, ...f } }),
    info: (msg, f) => lines.push({ level: 'info', msg, fields: { ...base, ...f } }),
    warn: (msg, f) => lines.push({ level: 'warn', msg, fields: { ...base, ...f } }),
    error: (msg, f) => lines.push({ level: 'error', msg, fields: { ...base, ...f } }),
    child: (f) => make({ ...base, ...f }),
  });
  return Object.assign(make({}), { lines });
}
