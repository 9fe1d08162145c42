/** The TLS material for the registrar connection, read from the files the configuration names. */
import { readFile } from 'node:fs/promises';
import type { TlsOptions } from '../binding/ws/types.js';
import type { AgentConfig } from '../config/types.js';

/** Reads the configured CA, certificate and key; undefined unless the URL is `wss:` and TLS is configured. */
export async function loadTls(registrar: AgentConfig['registrar']): Promise<TlsOptions | undefined> {
  const t = registrar.tls;
  if (!t || !registrar.url.startsWith('wss:')) return undefined;
  return {
    ...(t.ca ? { ca: await readFile(t.ca) } : {}),
    ...(t.cert ? { cert: await readFile(t.cert) } : {}),
    ...(t.key ? { key: await readFile(t.key) } : {}),
    ...(t.insecure ? { insecure: true } : {}),
  };
}
