/**
 * The TLS files a `wss://` registrar needs, checked the way the connection will use them: every
 * CA certificate parses, the client certificate parses, the key loads and belongs to that
 * certificate. `check` and `run` refuse a mismatch at once instead of a handshake failing forever.
 */
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { Issue } from '../util/issues.js';

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Parses every certificate in a PEM (or one DER) file; throws when there is none or one is bad. */
function certificates(data: Buffer): X509Certificate[] {
  const blocks = data.toString('latin1').match(PEM_CERT);
  if (blocks === null) return [new X509Certificate(data)];
  return blocks.map((b) => new X509Certificate(b));
}

function reason(err: unknown): string {
  const e = err as { code?: string; message?: string };
  return e.code ?? e.message ?? String(err);
}

/**
 * Issues for the configured TLS files. `read` returns the file's bytes (paths already resolved and
 * known readable); a file that cannot be read here was already reported by the readability check.
 */
export function tlsFileIssues(
  files: { readonly ca?: string; readonly cert?: string; readonly key?: string },
  read: (path: string) => Buffer,
): Issue[] {
  const issues: Issue[] = [];
  const load = (p: string | undefined): Buffer | undefined => {
    if (p === undefined) return undefined;
    try {
      return read(p);
    } catch {
      return undefined;
    }
  };
  const ca = load(files.ca);
  if (ca !== undefined) {
    try {
      certificates(ca);
    } catch (err) {
      issues.push({
        path: 'registrar.tls.ca',
        message: `${files.ca ?? ''} holds no usable certificate: ${reason(err)}`,
        hint: 'give the PEM file of the CA that signed the registrar certificate (-----BEGIN CERTIFICATE-----)',
      });
    }
  }
  let cert: X509Certificate | undefined;
  const certData = load(files.cert);
  if (certData !== undefined) {
    try {
      cert = certificates(certData)[0];
    } catch (err) {
      issues.push({
        path: 'registrar.tls.cert',
        message: `${files.cert ?? ''} is not a certificate: ${reason(err)}`,
        hint: 'give the PEM file of the client certificate (-----BEGIN CERTIFICATE-----)',
      });
    }
  }
  let key: KeyObject | undefined;
  const keyData = load(files.key);
  if (keyData !== undefined) {
    try {
      key = createPrivateKey(keyData);
    } catch (err) {
      issues.push({
        path: 'registrar.tls.key',
        message: `${files.key ?? ''} is not an unencrypted private key: ${reason(err)}`,
        hint: 'give the PEM private key of the client certificate, without a passphrase (-----BEGIN PRIVATE KEY-----)',
      });
    }
  }
  if (cert !== undefined && key !== undefined && !cert.checkPrivateKey(key)) {
    issues.push({
      path: 'registrar.tls.key',
      message: `${files.key ?? ''} is not the key of the certificate ${files.cert ?? ''} (${cert.subject.replace(/\n/g, ', ')})`,
      hint: 'give the key the client certificate was issued for: `openssl x509 -noout -pubkey -in CERT` and `openssl pkey -pubout -in KEY` must print the same key',
    });
  }
  return issues;
}
