/**
 * File modes that would let another local user take over the agent or read its secrets, checked by
 * `check` and at every start (`run`): a configuration file or state directory writable by others
 * (anyone could redirect the agent, trust themselves or swap its identity), and credentials in a
 * configuration file others may read or write.
 */
import { statSync } from 'node:fs';
import type { Issue } from '../util/issues.js';

const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode;
  } catch {
    return undefined; // a missing file is reported elsewhere (or created later: the state dir)
  }
}

/**
 * The configuration file: never writable by others; when it holds credentials (at `credentialKey`),
 * neither group-writable nor readable by others.
 */
export function configFileModeIssues(path: string, credentialKey: string | undefined): Issue[] {
  const mode = modeOf(path);
  if (mode === undefined) return [];
  if ((mode & 0o002) !== 0)
    return [
      {
        path,
        message: `the configuration is writable by every user (mode ${octal(mode)})`,
        hint: `chmod o-w ${path}: anyone could point the agent elsewhere or trust themselves`,
      },
    ];
  if (credentialKey !== undefined && (mode & 0o024) !== 0)
    return [
      {
        path: credentialKey,
        message: `holds credentials, but ${path} is ${(mode & 0o020) !== 0 ? 'group-writable' : 'readable by every user'} (mode ${octal(mode)})`,
        hint: `chmod 640 ${path}, or move the credentials out of it (README, "Credentials")`,
      },
    ];
  return [];
}

/** The state directory (if it exists already): never writable by every user. */
export function stateDirModeIssues(dir: string): Issue[] {
  const mode = modeOf(dir);
  if (mode === undefined || (mode & 0o002) === 0) return [];
  return [
    {
      path: 'stateDir',
      message: `${dir} is writable by every user (mode ${octal(mode)})`,
      hint: `chmod 750 ${dir}: others could replace the identity or the outbox`,
    },
  ];
}
