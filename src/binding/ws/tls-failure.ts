/**
 * Telling TLS failures apart by the certificate at fault: the registrar's (not trusted, wrong
 * name, expired), ours (refused by the registrar, missing where required) or our key (not the
 * certificate's). OpenSSL reports these as X509 verification codes, `ERR_SSL_*` alerts the peer
 * sent, or `ERR_OSSL_*` from loading our own material.
 */
/** Which certificate a TLS failure is about, so the hint can say which one to fix. */
export type TlsFailure =
  | 'server-untrusted'
  | 'name-mismatch'
  | 'server-expired'
  | 'client-refused'
  | 'client-required'
  | 'key-mismatch'
  | 'other';

/** The code and hint of each kind of TLS failure (`WsTlsError`). */
export const TLS_FAILURES: Record<TlsFailure, { code: string; hint: string }> = {
  'server-untrusted': {
    code: 'WS_TLS_SERVER_UNTRUSTED',
    hint: "the registrar's certificate is not signed by a CA the agent trusts: set registrar.tls.ca to the PEM of the CA that signed it",
  },
  'name-mismatch': {
    code: 'WS_TLS_NAME_MISMATCH',
    hint: "the registrar's certificate is not issued for the host in registrar.url: use a name from its subjectAltName in the URL, or have the registrar certificate reissued for this name",
  },
  'server-expired': {
    code: 'WS_TLS_CERT_EXPIRED',
    hint: "the registrar's certificate is expired or not yet valid: check the board's clock (NTP), or have the registrar certificate renewed",
  },
  'client-refused': {
    code: 'WS_TLS_CLIENT_CERT_REFUSED',
    hint: 'the registrar refused the client certificate registrar.tls.cert: it must be signed by a CA the registrar trusts, be valid now, and be known to the registrar',
  },
  'client-required': {
    code: 'WS_TLS_CLIENT_CERT_REFUSED',
    hint: 'the registrar requires a client certificate: set registrar.tls.cert and registrar.tls.key',
  },
  'key-mismatch': {
    code: 'WS_TLS_KEY_MISMATCH',
    hint: 'registrar.tls.key is not the private key of registrar.tls.cert: give the matching pair (`m2m-agent check` compares them)',
  },
  other: {
    code: 'WS_TLS_FAILED',
    hint: 'the TLS handshake failed: check registrar.tls (ca, cert, key) against the registrar TLS settings',
  },
};

/** What the handshake knew when it failed. */
export interface TlsContext {
  /** We presented a client certificate. */
  readonly clientCert: boolean;
  /** Our side of the TLS handshake completed (`secureConnect`) before the failure. */
  readonly tlsEstablished: boolean;
}

const SERVER_UNTRUSTED = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'INVALID_CA',
  'PATH_LENGTH_EXCEEDED',
  'INVALID_PURPOSE',
]);
const SERVER_EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
/** Alerts a server sends about the certificate we presented (RFC 8446 6.2). */
const CLIENT_CERT_ALERTS = [
  'ALERT_BAD_CERTIFICATE',
  'ALERT_UNKNOWN_CA',
  'ALERT_CERTIFICATE_UNKNOWN',
  'ALERT_CERTIFICATE_EXPIRED',
  'ALERT_CERTIFICATE_REVOKED',
  'ALERT_UNSUPPORTED_CERTIFICATE',
  'ALERT_ACCESS_DENIED',
  'ALERT_DECRYPT_ERROR',
];

/**
 * The alert inside a message (`... tlsv1 alert unknown ca:...`) as a code suffix
 * (`ERR_SSL_ALERT_UNKNOWN_CA`): under TLS 1.2 Node reports a peer's alert as a plain `EPROTO`.
 */
function alertCode(message: string): string | undefined {
  const m = /(?:sslv3|tlsv1|tlsv13) alert ([a-z ]+?)(?::|$)/m.exec(message);
  return m?.[1] === undefined ? undefined : `ERR_SSL_ALERT_${m[1].toUpperCase().replace(/ /g, '_')}`;
}

/** The kind of TLS failure `code` (and `message`) mean, or undefined when it is no TLS failure. */
export function tlsFailureOf(
  rawCode: string | undefined,
  message: string,
  ctx: TlsContext,
): TlsFailure | undefined {
  const code = rawCode === 'EPROTO' ? (alertCode(message) ?? 'ERR_SSL_EPROTO') : rawCode;
  if (code === undefined) return undefined;
  if (SERVER_UNTRUSTED.has(code)) return 'server-untrusted';
  if (SERVER_EXPIRED.has(code)) return 'server-expired';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID' || code === 'HOSTNAME_MISMATCH') return 'name-mismatch';
  if (code === 'ERR_OSSL_X509_KEY_VALUES_MISMATCH' || code === 'ERR_OSSL_EVP_KEY_VALUES_MISMATCH')
    return 'key-mismatch';
  if (code.endsWith('ALERT_CERTIFICATE_REQUIRED')) return 'client-required';
  if (code.startsWith('ERR_SSL_') && CLIENT_CERT_ALERTS.some((a) => code.endsWith(a)))
    return ctx.clientCert ? 'client-refused' : 'other';
  if (code.endsWith('ALERT_HANDSHAKE_FAILURE') && !ctx.clientCert) return 'client-required';
  // TLS 1.3: the server checks our certificate after our side finished; Node (and others) then
  // just drop the connection, so a reset right after the handshake means our certificate.
  if ((code === 'ECONNRESET' || code === 'EPIPE') && ctx.clientCert && ctx.tlsEstablished)
    return 'client-refused';
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || code.startsWith('ERR_OSSL_'))
    return 'other';
  return undefined;
}
