/**
 * The registrar keys a schema cannot check: a WebSocket URL, TLS files that are readable, parse
 * and match, a client certificate with its key, and a proxy URL.
 */
import { accessSync, constants, readFileSync, statSync } from 'node:fs';
import { resolve as resolvePath } from 'node:path';
import type { Issue } from '../util/issues.js';
import { isPlainObject } from './json-schema.js';
import { tlsFileIssues } from './tls-check.js';

export interface RegistrarCheckOptions {
  /** Relative TLS paths are resolved against this (the config file's directory). */
  readonly baseDir?: string;
  /** Returns why a file cannot be read, or undefined if it can (injected by tests). */
  readonly unreadable?: (path: string) => string | undefined;
  /** Reads a TLS file for the content checks (default: the real file, unless `unreadable` is injected alone). */
  readonly readFile?: (path: string) => Buffer;
}

/** Issues in `raw.registrar` (url, tls, proxy), in that order. */
export function checkRegistrar(raw: Record<string, unknown>, opts: RegistrarCheckOptions): Issue[] {
  const registrar = isPlainObject(raw.registrar) ? raw.registrar : {};
  const { scheme, issues } = checkUrl(registrar.url);
  if (scheme === 'wss:' && isPlainObject(registrar.tls)) issues.push(...checkTls(registrar.tls, opts));
  issues.push(...checkProxy(registrar.proxy));
  return issues;
}

function checkUrl(url: unknown): { scheme: string | undefined; issues: Issue[] } {
  if (typeof url !== 'string' || url === '') return { scheme: undefined, issues: [] };
  let scheme: string;
  try {
    scheme = new URL(url).protocol;
  } catch {
    return {
      scheme: undefined,
      issues: [
        {
          path: 'registrar.url',
          message: `${JSON.stringify(url)} is not a valid URL`,
          hint: 'e.g. ws://127.0.0.1:8080/',
        },
      ],
    };
  }
  if (scheme === 'ws:' || scheme === 'wss:') return { scheme, issues: [] };
  return {
    scheme,
    issues: [
      {
        path: 'registrar.url',
        message: `${JSON.stringify(url)} is not a WebSocket URL`,
        hint: 'the oneM2M WebSocket binding (TS-0020) needs ws:// or wss://, e.g. wss://in-cse.example.net:8443/',
      },
    ],
  };
}

function checkTls(tls: Record<string, unknown>, opts: RegistrarCheckOptions): Issue[] {
  const issues: Issue[] = [];
  const unreadable = opts.unreadable ?? defaultUnreadable;
  const readable: { ca?: string; cert?: string; key?: string } = {};
  for (const key of ['ca', 'cert', 'key'] as const) {
    const p = tls[key];
    if (typeof p !== 'string' || p === '') continue;
    const full = opts.baseDir === undefined ? p : resolvePath(opts.baseDir, p);
    const why = unreadable(full);
    if (why !== undefined) {
      issues.push({
        path: `registrar.tls.${key}`,
        message: `cannot read ${full}: ${why}`,
        hint: 'give the path of a PEM file the agent can read',
      });
    } else readable[key] = full;
  }
  const read = opts.readFile ?? (opts.unreadable === undefined ? readFileSync : undefined);
  if (read !== undefined) issues.push(...tlsFileIssues(readable, read));
  if ((tls.cert === undefined) !== (tls.key === undefined)) {
    issues.push({
      path: tls.cert === undefined ? 'registrar.tls.cert' : 'registrar.tls.key',
      message: 'missing: a client certificate needs its key, and a key its certificate',
      hint: 'set both registrar.tls.cert and registrar.tls.key, or neither',
    });
  }
  return issues;
}

function defaultUnreadable(path: string): string | undefined {
  try {
    accessSync(path, constants.R_OK);
    return statSync(path).isFile() ? undefined : 'not a regular file';
  } catch (err) {
    return (err as NodeJS.ErrnoException).code ?? String(err);
  }
}

function checkProxy(proxy: unknown): Issue[] {
  if (typeof proxy !== 'string' || URL.canParse(proxy)) return [];
  return [
    {
      path: 'registrar.proxy',
      message: `${JSON.stringify(proxy)} is not a valid URL`,
      hint: 'e.g. http://proxy:3128',
    },
  ];
}
