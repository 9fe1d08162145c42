/**
 * Secrets never leave the process in clear: every text the agent writes (log lines, error
 * messages, `check` output, the status and metrics files, systemd's STATUS=) passes through
 * {@link redactSecrets}. It masks URL credentials (`ws://user:***@host/`, `http://***@proxy/` for a
 * bare token), `Authorization`-style header values and token-like query parameters, wherever they
 * appear in the text, so a library error that embeds the URL is covered as well.
 */

/** `scheme://userinfo@`: userinfo runs to the last `@` before the host (as WHATWG URL parses it). */
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@"'<>\\]*(?:@[^\s/?#@"'<>\\]*)*)@/gi;
/** `Authorization: Basic dXNlcjpwdw==`, `"proxy-authorization":"Bearer x"`. */
const AUTH_HEADER = /((?:proxy-)?authorization["']?\s*[:=]\s*["']?)([a-z]+)\s+[^\s"',;]+/gi;
/** `?token=...`, `&password=...` and similar in URLs. */
const QUERY_SECRET = /([?&](?:access_token|token|api_?key|key|password|passwd|secret)=)[^&\s"'#]+/gi;

/** The text with every credential masked (idempotent). */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_USERINFO, (_m, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      // A user name alone may be a token (`wss://TOKEN@host`): mask it whole.
      return colon < 0 ? `${scheme}***@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
    })
    .replace(AUTH_HEADER, '$1$2 ***')
    .replace(QUERY_SECRET, '$1***');
}

/** A URL fit for printing: its credentials masked (see {@link redactSecrets}). */
export function redactUrl(url: string): string {
  return redactSecrets(url);
}
