/**
 * Test certificates made with the `openssl` CLI in a temp dir (removed before returning): a CA, a
 * server certificate for 127.0.0.1/localhost and a client certificate signed by it, and a second,
 * unrelated CA that must not be trusted for the server.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestPki {
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A CA that signed nothing here. */
  readonly otherCa: string;
}

/** Generates the PEMs (EC P-256, valid 2 days). Needs `openssl` on PATH. */
export function makeTestPki(): TestPki {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-'));
  const f = (name: string): string => path.join(dir, name);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    for (const ca of ['ca', 'other-ca']) {
      ssl(
        'req',
        '-x509',
        ...ec,
        '-keyout',
        f(`${ca}.key`),
        '-out',
        f(`${ca}.crt`),
        '-days',
        '2',
        '-subj',
        `/CN=m2m test ${ca}`,
      );
    }
    fs.writeFileSync(
      f('server.ext'),
      'basicConstraints=CA:FALSE\nsubjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n',
    );
    fs.writeFileSync(f('client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
    for (const leaf of ['server', 'client']) {
      ssl(
        'req',
        ...ec,
        '-keyout',
        f(`${leaf}.key`),
        '-out',
        f(`${leaf}.csr`),
        '-subj',
        `/CN=m2m test ${leaf}`,
      );
      ssl(
        'x509',
        '-req',
        '-in',
        f(`${leaf}.csr`),
        '-CA',
        f('ca.crt'),
        '-CAkey',
        f('ca.key'),
        '-CAcreateserial',
        '-days',
        '2',
        '-extfile',
        f(`${leaf}.ext`),
        '-out',
        f(`${leaf}.crt`),
      );
    }
    const read = (name: string): string => fs.readFileSync(f(name), 'utf8');
    return {
      ca: read('ca.crt'),
      serverCert: read('server.crt'),
      serverKey: read('server.key'),
      clientCert: read('client.crt'),
      clientKey: read('client.key'),
      otherCa: read('other-ca.crt'),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A running `openssl s_server`: OpenSSL's own TLS stack, sending the alerts a real registrar sends. */
export interface OpensslServer {
  readonly url: string;
  close(): void;
}

/**
 * Starts `openssl s_server` on 127.0.0.1 with the server certificate, requiring a client
 * certificate signed by `clientCa` (verification errors end the handshake with an alert).
 */
export async function startOpensslServer(
  pki: TestPki,
  o: { readonly clientCa: string; readonly version: 'tls1_2' | 'tls1_3' },
): Promise<OpensslServer> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-ossl-'));
  const f = (name: string, pem: string): string => {
    fs.writeFileSync(path.join(dir, name), pem);
    return path.join(dir, name);
  };
  const free = net.createServer().listen(0, '127.0.0.1');
  await once(free, 'listening');
  const port = (free.address() as net.AddressInfo).port;
  await new Promise((resolve) => free.close(resolve));
  const child = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      `127.0.0.1:${port}`,
      '-cert',
      f('server.crt', pki.serverCert),
      '-key',
      f('server.key', pki.serverKey),
      '-CAfile',
      f('client-ca.crt', o.clientCa),
      '-Verify',
      '1',
      '-verify_return_error',
      `-${o.version}`,
      '-www',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const close = (): void => {
    child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('ACCEPT')) resolve();
      });
      child.once('exit', (code) => {
        reject(new Error(`openssl s_server exited (${String(code)}) before accepting`));
      });
    });
  } catch (err) {
    close();
    throw err;
  }
  return { url: `wss://127.0.0.1:${port}/`, close };
}
