/**
 * Test certificates made with the `openssl` CLI in a temp dir (removed before returning): a CA, a
 * server certificate for 127.0.0.1/localhost and a client certificate signed by it, and a second,
 * unrelated CA that must not be trusted for the server.
 */
import { execFileSync } from 'node:child_process';
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
