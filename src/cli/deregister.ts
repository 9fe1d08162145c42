/**
 * `m2m-agent deregister`: DELETE our `<node>` (device management) and our `<AE>` on the registrar,
 * and forget the local identity.
 */
import { existsSync } from 'node:fs';
import { loadConfig } from '../config/load.js';
import { connect } from '../binding/ws/index.js';
import { IdentityStore, type Identity } from '../agent/identity.js';
import { NODE_NOTE, noteOf } from '../agent/identity-notes.js';
import type { Connection } from '../binding/ws/types.js';
import type { ResponsePrimitive } from '../protocol/primitive.js';
import { lockStateDir } from '../agent/state-lock.js';
import type { AgentConfig } from '../config/types.js';
import { createConnector } from '../agent/connector.js';
import { deleteRequest } from '../agent/resources.js';
import { createRqiGenerator } from '../agent/rqi.js';
import { isSuccess, Rsc, rscLabel } from '../protocol/codes.js';
import { createLogger } from '../util/log.js';
import { CONFIG_OPTION, EXIT_CONFIG, EXIT_OK, type Command } from './command.js';
import { configPath, deviceModelDirs } from './paths.js';
import { readFile } from 'node:fs/promises';

export const deregisterCommand: Command = {
  name: 'deregister',
  summary: 'delete the AE on the registrar and clear the local identity',
  usage: 'm2m-agent deregister [-c FILE] [--local-only]',
  options: [
    CONFIG_OPTION,
    { name: 'local-only', help: 'only forget the local identity (the registrar is gone)' },
  ],
  async run(options) {
    const path = configPath(options.config);
    const config = await loadConfig(path, { deviceModelDirs: deviceModelDirs(path) });
    if (!existsSync(config.stateDir)) {
      process.stdout.write('not registered: nothing to do\n');
      return EXIT_OK;
    }
    // A running agent keeps its identity in memory and would write it back: refuse while it runs.
    const unlock = await lockStateDir(config.stateDir);
    try {
      return await deregister(config, options['local-only'] === true);
    } finally {
      await unlock();
    }
  },
};

async function deregister(config: AgentConfig, localOnly: boolean): Promise<number> {
  const store = new IdentityStore(config.stateDir);
  const id = await store.load();
  if (!id) {
    process.stdout.write('not registered: nothing to do\n');
    return EXIT_OK;
  }
  if (!localOnly && !(await deleteOnRegistrar(config, id))) return EXIT_CONFIG;
  await store.clear();
  process.stdout.write(`forgot identity ${id.aeId}; the next run registers anew\n`);
  return EXIT_OK;
}

async function dial(config: AgentConfig, id: Identity): Promise<Connection> {
  const log = createLogger({ level: 'warn' });
  const t = config.registrar.tls;
  const tls =
    t && config.registrar.url.startsWith('wss:')
      ? {
          ...(t.ca ? { ca: await readFile(t.ca) } : {}),
          ...(t.cert ? { cert: await readFile(t.cert) } : {}),
          ...(t.key ? { key: await readFile(t.key) } : {}),
          ...(t.insecure ? { insecure: true } : {}),
        }
      : undefined;
  const { connect: open } = createConnector({
    connect,
    base: {
      url: config.registrar.url,
      ...(tls ? { tls } : {}),
      ...(config.registrar.proxy ? { proxy: config.registrar.proxy } : {}),
      logger: log,
    },
    serializations: config.serializations,
    compat: config.registrar.compat,
    origin: () => id.aeId,
    logger: log,
  });
  return open();
}

/**
 * DELETEs the `<node>` device management created (its management objects go with it), then our
 * `<AE>` / `<remoteCSE>`. The node first: once the registration is gone the registrar no longer
 * knows our originator. False when the registrar refused the registration's DELETE.
 */
async function deleteOnRegistrar(config: AgentConfig, id: Identity): Promise<boolean> {
  const rqi = createRqiGenerator();
  const remove = (to: string): Promise<ResponsePrimitive> =>
    conn.request(deleteRequest(to, { fr: id.aeId, rqi: rqi(), rvi: config.releaseVersion }));
  const conn = await dial(config, id);
  try {
    const node = noteOf(id, NODE_NOTE);
    if (node) {
      const rsp = await remove(node);
      if (isSuccess(rsp.rsc) || rsp.rsc === Rsc.NOT_FOUND)
        process.stdout.write(`deleted our <node> ${node} (${rscLabel(rsp.rsc)})\n`);
      else
        process.stderr.write(
          `the registrar refused the DELETE of our <node> ${node}: ${rscLabel(rsp.rsc)}; an operator can delete it\n`,
        );
    }
    // Where the registrar put it (ACME names a <remoteCSE> after the CSE-ID), not node.name.
    const at = `${config.registrar.cseName}/${id.rn ?? config.node.name}`;
    const rsp = await remove(at);
    if (!isSuccess(rsp.rsc) && rsp.rsc !== Rsc.NOT_FOUND) {
      process.stderr.write(
        `the registrar refused the DELETE: ${rscLabel(rsp.rsc)}; the local identity is kept\n`,
      );
      return false;
    }
    process.stdout.write(`deleted ${at} (${rscLabel(rsp.rsc)})\n`);
    return true;
  } finally {
    await conn.close(1000, 'deregistered', 1000);
  }
}
