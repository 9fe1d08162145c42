/**
 * Runs a command under the essential restrictions of `systemd/m2m-agent.service`, for machines
 * where the unit itself cannot be started (PID 1 is not systemd in CI). Needs root, `unshare` and
 * `setpriv` (util-linux).
 *
 * Emulated: User= (an unprivileged uid/gid, no supplementary groups), NoNewPrivileges=,
 * CapabilityBoundingSet= (empty), ProtectSystem=strict (every mount read-only in a private mount
 * namespace, except /proc, /sys, /dev), StateDirectory= (one directory bind-mounted read-write,
 * exported as STATE_DIRECTORY), PrivateTmp= (TMPDIR points at a private writable directory),
 * ProcSubset=pid + ProtectProc=invisible (a fresh /proc mount).
 * Not emulated: SystemCallFilter=, RestrictAddressFamilies=, DevicePolicy= (need seccomp/cgroups).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The unprivileged identity used in place of `m2m-agent` (present on every Debian system). */
export const SANDBOX_USER = { name: 'nobody', uid: 65534, gid: 65534 };

/** Why sandboxed runs are impossible here, or undefined when they work. */
export function sandboxSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (private mount namespace, setpriv); CI runs as root';
  for (const tool of ['unshare', 'setpriv']) {
    if (spawnSync(tool, ['--version']).error) return `${tool} is not installed (util-linux)`;
  }
  const probe = spawnSync('unshare', ['--mount', '--propagation', 'private', 'true'], { encoding: 'utf8' });
  if (probe.status !== 0) return `cannot create a mount namespace here: ${probe.stderr.trim()}`;
  return undefined;
}

/**
 * The first of `paths` the sandbox user could not read (via "other" permission bits, as it owns
 * nothing and has no groups), e.g. a checkout under a 0700 home directory; undefined if all are fine.
 */
export function unreadableForSandbox(paths: readonly string[]): string | undefined {
  for (const path of paths) {
    if ((statSync(path).mode & 0o004) === 0) return path;
    for (let dir = dirname(path); ; dir = dirname(dir)) {
      if ((statSync(dir).mode & 0o001) === 0) return dir;
      if (dir === dirname(dir)) break;
    }
  }
  return undefined;
}

export interface SandboxOptions {
  /** Becomes STATE_DIRECTORY, the only writable place (plus `tmpDir`); created and chowned. */
  stateDir: string;
  /** Private TMPDIR; created and chowned. */
  tmpDir: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

const SCRIPT = `
set -e
state="$1"; tmp="$2"; shift 2
# ProtectSystem=strict: everything read-only except the API file systems.
awk '{print $5}' /proc/self/mountinfo | sort -u | while read -r m; do
  case "$m" in /proc|/proc/*|/sys|/sys/*|/dev|/dev/*|/mnt|/mnt/*) continue ;; esac
  mount -o remount,bind,ro "$m" 2>/dev/null || echo "sandbox: could not remount $m read-only" >&2
done
# ProcSubset=pid, ProtectProc=invisible.
mount -t proc -o subset=pid,hidepid=invisible proc /proc
for d in "$state" "$tmp"; do
  mount --bind "$d" "$d"
  mount -o remount,bind,rw "$d"
done
exec setpriv --reuid=${SANDBOX_USER.uid} --regid=${SANDBOX_USER.gid} --clear-groups --no-new-privs \\
  --inh-caps=-all --bounding-set=-all env STATE_DIRECTORY="$state" TMPDIR="$tmp" "$@"
`;

/**
 * Spawns `command args` in the sandbox. No new PID namespace: the returned child's PID is the
 * command's own (after the execs), so signals sent to it reach the command directly.
 */
export function spawnSandboxed(command: string, args: readonly string[], opts: SandboxOptions): ChildProcess {
  for (const dir of [opts.stateDir, opts.tmpDir]) {
    mkdirSync(dir, { recursive: true });
    chownSync(dir, SANDBOX_USER.uid, SANDBOX_USER.gid);
  }
  return spawn(
    'unshare',
    [
      '--mount',
      '--propagation',
      'private',
      'sh',
      '-c',
      SCRIPT,
      'sandbox',
      opts.stateDir,
      opts.tmpDir,
      command,
      ...args,
    ],
    { env: opts.env ?? process.env, cwd: opts.cwd, stdio: ['ignore', 'pipe', 'pipe'] },
  );
}

/** Convenience: a fresh state and tmp directory below `base` (which must be traversable by the sandbox user). */
export function sandboxDirs(base: string): { stateDir: string; tmpDir: string } {
  return { stateDir: join(base, 'state'), tmpDir: join(base, 'tmp') };
}
