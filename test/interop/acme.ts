/**
 * A real ACME CSE for the interop suite: the bundle at `../shared/acme` (or `$ACME_BUNDLE`),
 * started on free ports in a fresh run directory and stopped by its own `acme.sh stop`, plus a
 * small HTTP client for what an operator or a user application does there (as `CAdmin`).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The bundle directory: `$ACME_BUNDLE`, else `../shared/acme` beside the repository. */
export const ACME_BUNDLE = resolve(
  process.env.ACME_BUNDLE ??
    join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'shared', 'acme'),
);

/** Why the suite cannot run here, or undefined when the bundle is present. */
export function acmeMissing(): string | undefined {
  if (!existsSync(join(ACME_BUNDLE, 'acme.sh')))
    return `the ACME bundle is absent (no ${join(ACME_BUNDLE, 'acme.sh')}; set ACME_BUNDLE to its directory)`;
  return undefined;
}

export interface AcmeOptions {
  /** CSE-IDs allowed to register a `<remoteCSE>` (`--allow-csr`). */
  readonly allowCsr?: readonly string[];
  /** Reuse these ports (restart "empty" where the agent expects it); default: free ones. */
  readonly httpPort?: number;
  readonly wsPort?: number;
}

export interface Acme {
  readonly httpPort: number;
  readonly wsPort: number;
  readonly wsUrl: string;
  readonly rundir: string;
  /** An HTTP request as `CAdmin` (or `origin`); `path` is CSE-relative (`cse-in/...`) or `~/id-x/...`. */
  http(
    method: 'GET' | 'POST' | 'PUT' | 'DELETE',
    path: string,
    o?: { ty?: number; body?: unknown; origin?: string },
  ): Promise<{ rsc: number; body: Record<string, unknown> }>;
  /** Stops this instance (idempotent); the run directory stays until `dispose`. */
  stop(): Promise<void>;
  /** Stops it and removes its run directory. */
  dispose(): Promise<void>;
}

let seq = 0;

/** Resolves once ACME's log in `rundir` contains `text` (checked every 100 ms, 30 s at most). */
async function waitForLog(rundir: string, text: string): Promise<void> {
  const started = Date.now();
  for (;;) {
    const logs = join(rundir, 'logs');
    const found =
      existsSync(logs) && readdirSync(logs).some((f) => readFileSync(join(logs, f), 'utf8').includes(text));
    if (found) return;
    if (Date.now() - started > 30_000) throw new Error(`ACME did not log "${text}" within 30 s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts a fresh ACME (in-memory database, emptied at start) and resolves once it serves. */
export async function startAcme(o: AcmeOptions = {}): Promise<Acme> {
  const rundir = mkdtempSync(join(tmpdir(), 'm2m-interop-acme-'));
  const args = [
    'start',
    rundir,
    '--http-port',
    String(o.httpPort ?? 0),
    '--ws-port',
    String(o.wsPort ?? 0),
    ...(o.allowCsr && o.allowCsr.length > 0 ? ['--allow-csr', o.allowCsr.join(',')] : []),
  ];
  let stdout: string;
  try {
    ({ stdout } = await run(join(ACME_BUNDLE, 'acme.sh'), args, { timeout: 90_000 }));
  } catch (err) {
    rmSync(rundir, { recursive: true, force: true });
    const e = err as { stderr?: string; message: string };
    throw new Error(`acme.sh start failed: ${e.stderr ?? e.message}`);
  }
  const [, http, ws] = stdout.trim().split(/\s+/).map(Number);
  if (!http || !ws) throw new Error(`acme.sh start printed no ports: ${stdout}`);
  // ACME serves requests before it logs "CSE started" (2 s later), but then starts its remote-CSE
  // monitor, whose first liveliness check runs at once; a request routed to an ASN in the same
  // moment is lost by ACME (5103 after 10 s). Tests begin after that moment.
  await waitForLog(rundir, 'CSE started');
  let stopped = false;
  const acme: Acme = {
    httpPort: http,
    wsPort: ws,
    wsUrl: `ws://127.0.0.1:${ws}/`,
    rundir,
    async http(method, path, opts = {}) {
      const headers: Record<string, string> = {
        'X-M2M-Origin': opts.origin ?? 'CAdmin',
        'X-M2M-RI': `interop-${++seq}`,
        'X-M2M-RVI': '3',
        Accept: 'application/json',
      };
      if (opts.body !== undefined)
        headers['Content-Type'] = `application/json${opts.ty === undefined ? '' : `;ty=${opts.ty}`}`;
      const rsp = await fetch(`http://127.0.0.1:${http}/${path}`, {
        method,
        headers,
        ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      });
      const text = await rsp.text();
      const rsc = Number(rsp.headers.get('X-M2M-RSC'));
      return { rsc, body: text === '' ? {} : (JSON.parse(text) as Record<string, unknown>) };
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await run(join(ACME_BUNDLE, 'acme.sh'), ['stop', rundir], { timeout: 30_000 });
    },
    async dispose() {
      await acme.stop();
      // INTEROP_KEEP=1 keeps ACME's logs (RUNDIR/logs) to look at after a failure.
      if (process.env.INTEROP_KEEP === '1') console.log(`# ACME run directory kept: ${rundir}`);
      else rmSync(rundir, { recursive: true, force: true });
    },
  };
  return acme;
}

/** What the operator does once per fleet: let the gateways' originators create a `<node>` (ty 14). */
export async function grantNodeCreation(acme: Acme, originators: readonly string[]): Promise<void> {
  const acp = await acme.http('GET', 'cse-in/acpCreateRootResources');
  const pv = (acp.body['m2m:acp'] as { pv: { acr: unknown[] } }).pv;
  const rsp = await acme.http('PUT', 'cse-in/acpCreateRootResources', {
    body: { 'm2m:acp': { pv: { acr: [...pv.acr, { acor: originators, acop: 1, acod: [{ chty: [14] }] }] } } },
  });
  assert.equal(rsp.rsc, 2004, JSON.stringify(rsp.body));
}

/**
 * A configuration for an agent on `acme` with `node` (either role): JSON, one `sim` counter sampled
 * every second, quick reconnects. `extra` is merged on top (`stateDir`, devices, ...).
 */
export function acmeAgentConfig(
  acme: Acme,
  node: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    registrar: { url: acme.wsUrl, cseId: '/id-in', cseName: 'cse-in', compat: 'acme' },
    node: { appId: 'Nm2m-agent-interop', ...node },
    serializations: ['json'],
    buffer: { fsyncIntervalMs: 50 },
    link: { backoffFloorMs: 200, backoffCapMs: 1000, requestTimeoutSeconds: 5, closeGraceSeconds: 1 },
    devices: [{ name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' }],
    ...extra,
  };
}
