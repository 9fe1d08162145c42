/** `m2m-agent registrar`: the development registrar alone, to try a configuration before a real CSE. */
import { readFile } from 'node:fs/promises';
import { startRegistrar } from '../cse/server.js';

import { createLogger, isLogLevel } from '../util/log.js';
import { UsageError } from './args.js';
import { LOG_LEVEL_OPTION, EXIT_OK, type Command } from './command.js';

export const registrarCommand: Command = {
  name: 'registrar',
  summary: 'run the development registrar (an in-memory CSE on a WebSocket server) alone',
  usage:
    'm2m-agent registrar [--port N] [--host ADDR] [--cse-id ID] [--cse-name NAME] [--imitate acme|mobius] [--allow-csr /id-a,/id-b] [--tls-cert PEM --tls-key PEM]',
  options: [
    { name: 'port', value: true, help: 'TCP port (default 8080; 0 picks a free one)' },
    { name: 'host', value: true, help: 'address to listen on (default 127.0.0.1)' },
    { name: 'cse-id', value: true, help: 'CSE-ID (default /id-in, as ACME)' },
    { name: 'cse-name', value: true, help: 'CSEBase resource name (default cse-in, as ACME)' },
    { name: 'imitate', value: true, help: 'reproduce the quirks of a real registrar: acme | mobius' },
    {
      name: 'allow-csr',
      value: true,
      help: 'CSE-IDs allowed to register a <remoteCSE>, comma-separated (ACME allowedCSROriginators; with --imitate acme, none by default)',
    },
    { name: 'tls-cert', value: true, help: 'PEM certificate: serve wss://' },
    { name: 'tls-key', value: true, help: 'PEM private key for --tls-cert' },
    LOG_LEVEL_OPTION,
  ],
  async run(o) {
    const str = (k: string): string | undefined => (typeof o[k] === 'string' ? o[k] : undefined);
    const port = Number(str('port') ?? 8080);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw new UsageError(`--port must be 0..65535, got ${str('port')}`);
    const imitate = str('imitate');
    if (imitate !== undefined && imitate !== 'acme' && imitate !== 'mobius')
      throw new UsageError(`--imitate must be acme or mobius, got ${imitate}`);
    const level = str('log-level') ?? 'info';
    if (!isLogLevel(level)) throw new UsageError(`--log-level must be debug, info, warn or error`);
    if ((str('tls-cert') === undefined) !== (str('tls-key') === undefined))
      throw new UsageError('--tls-cert and --tls-key go together');
    const allowCsr = str('allow-csr')
      ?.split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '')
      .map((x) => (x.startsWith('/') ? x : `/${x}`));
    const logger = createLogger({ level });
    const certPath = str('tls-cert');
    const keyPath = str('tls-key');
    const registrar = await startRegistrar({
      port,
      ...(str('host') === undefined ? {} : { host: str('host') }),
      ...(str('cse-id') === undefined ? {} : { cseId: str('cse-id') }),
      ...(str('cse-name') === undefined ? {} : { cseName: str('cse-name') }),
      ...(imitate === undefined ? {} : { imitate: imitate }),
      ...(allowCsr === undefined ? {} : { quirks: { allowedCsrOriginators: allowCsr } }),
      ...(certPath !== undefined && keyPath !== undefined
        ? { tls: { cert: await readFile(certPath), key: await readFile(keyPath) } }
        : {}),
      logger,
    });
    logger.info('development registrar listening', {
      url: registrar.url,
      cseId: registrar.cse.cseId,
      cseBase: registrar.cse.cseName,
      imitate: imitate ?? 'none',
      ...(allowCsr === undefined ? {} : { allowedCsrOriginators: allowCsr }),
    });
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await registrar.close();
    return EXIT_OK;
  },
};
