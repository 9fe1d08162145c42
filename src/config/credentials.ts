/**
 * Credentials kept out of the configuration file: the registrar's and the proxy's `user:password`
 * come from systemd's `LoadCredential=` (a file in `$CREDENTIALS_DIRECTORY`, readable by the
 * service alone) or from an environment variable (the unit's root-only `EnvironmentFile`), and are
 * put into the URL in memory only. Everything that prints a URL masks them (`util/redact.ts`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Issue } from '../util/issues.js';

/** Where each secret may come from, in order of precedence. */
export const CREDENTIAL_SOURCES = {
  registrar: { key: 'registrar.url', credential: 'registrar', env: 'M2M_AGENT_REGISTRAR_CREDENTIALS' },
  proxy: { key: 'registrar.proxy', credential: 'proxy', env: 'M2M_AGENT_PROXY_CREDENTIALS' },
} as const;

export type CredentialTarget = keyof typeof CREDENTIAL_SOURCES;

/** True when the URL itself carries a user name or password. */
export function hasUrlCredentials(url: string): boolean {
  try {
    const u = new URL(url);
    return u.username !== '' || u.password !== '';
  } catch {
    return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url);
  }
}

/** The `user:password` for `target`, with where it came from; an issue if it is unusable. */
export function readCredentials(
  target: CredentialTarget,
  env: NodeJS.ProcessEnv,
): { value?: string; from?: string; issue?: Issue } {
  const src = CREDENTIAL_SOURCES[target];
  let value: string | undefined;
  let from: string | undefined;
  const dir = env.CREDENTIALS_DIRECTORY;
  if (dir !== undefined && dir !== '') {
    const file = join(dir, src.credential);
    try {
      value = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      from = `credential ${src.credential} (${file})`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        return {
          issue: {
            path: src.key,
            message: `cannot read the credential file ${file}: ${code ?? String(err)}`,
            hint: `check LoadCredential=${src.credential}:... in the unit`,
          },
        };
    }
  }
  if (value === undefined && env[src.env] !== undefined && env[src.env] !== '') {
    value = env[src.env];
    from = `$${src.env}`;
  }
  if (value === undefined || from === undefined) return {};
  const colon = value.indexOf(':');
  // The value itself is never quoted back: it is the secret.
  if (colon <= 0)
    return {
      issue: {
        path: src.key,
        message: `${from} is not "user:password" (no user name before the first colon)`,
        hint: 'write the user name, a colon, then the password, on one line',
      },
    };
  return { value, from };
}

/** `url` with `user:password` set (percent-encoded by the URL setters). */
export function withCredentials(url: string, userPassword: string): string {
  const colon = userPassword.indexOf(':');
  const u = new URL(url);
  u.username = userPassword.slice(0, colon);
  u.password = userPassword.slice(colon + 1);
  return u.href;
}
