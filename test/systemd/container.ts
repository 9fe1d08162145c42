/**
 * A real systemd (the host's own, 252 on Debian 12) booted as PID 1 of a systemd-nspawn container,
 * for `npm run test:systemd` on CI machines whose PID 1 is not systemd.
 *
 * The root file system is an overlay: the host's `/` below, a tmpfs above, both mounted in a
 * private mount namespace (`unshare -m`) that vanishes with the container, so nothing the test
 * does inside (install, users, units) touches the host. The network is the host's: a registrar on
 * the host's 127.0.0.1 is reachable from inside. The checkout is bound read-only at /m2m-src.
 *
 * Teardown is guaranteed three ways: `stop()` (SIGTERM to systemd-nspawn: a clean poweroff), a
 * parent-death signal on systemd-nspawn (if this process dies, the container gets SIGTERM), and
 * the mount namespace itself (the overlay and tmpfs are never visible outside it).
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const BOOT_SCRIPT = `
set -euo pipefail
base="$1"; repo="$2"
mount -t tmpfs -o mode=0755 m2m-nspawn "$base"
mkdir "$base/upper" "$base/work" "$base/root"
mount -t overlay overlay -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$base/root"
root="$base/root"
# Its own machine id (the host's would make journald and PID 1 confuse the two), and none of the
# units the host enabled locally (database servers, timers, gettys, network set-up): deleting
# their .wants links in the overlay disables them in the container only.
systemd-id128 new >"$root/etc/machine-id"
find "$root/etc/systemd/system" -mindepth 2 -maxdepth 2 -path '*.wants/*' -delete
mkdir -p "$root/m2m-src"
# --keep-unit: required without a host systemd to register with. The unified cgroup hierarchy,
# all capabilities and the bpf system-call filter let PID 1 enforce DevicePolicy= and friends.
SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 exec systemd-nspawn -q -D "$root" -b --register=no --keep-unit \\
  --console=pipe --capability=all --system-call-filter=bpf --bind-ro="$repo:/m2m-src"
`;

const OVERLAY_PROBE = `set -e
mount -t tmpfs probe "$1" && mkdir "$1/u" "$1/w" "$1/r"
mount -t overlay overlay -o "lowerdir=/,upperdir=$1/u,workdir=$1/w" "$1/r"`;

/** A clean environment for commands inside (nothing of the test runner's leaks in). */
const INSIDE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
  SYSTEMD_PAGER: '',
  SYSTEMD_COLORS: '0',
};

export interface ExecResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export interface Container {
  /** Host PID of the container's PID 1 (systemd). */
  readonly initPid: number;
  /** Runs a command inside (all namespaces of the container); never rejects on a non-zero exit. */
  exec(argv: readonly string[], input?: string): Promise<ExecResult>;
  /** `bash -c script` inside; rejects with the output when it exits non-zero. */
  sh(script: string, input?: string): Promise<string>;
  /** Powers the container off (SIGTERM to systemd-nspawn), SIGKILL after `graceMs`; idempotent. */
  stop(graceMs?: number): Promise<void>;
}

/** Why a container cannot be booted here, or undefined when it can. */
export function containerSkipReason(): string | undefined {
  if (process.platform !== 'linux') return 'needs Linux';
  if (process.getuid?.() !== 0) return 'needs root (mounts, systemd-nspawn); CI runs as root';
  for (const tool of ['systemd-nspawn', 'systemd-id128', 'nsenter', 'unshare', 'setpriv']) {
    if (spawnSync(tool, ['--version']).error)
      return `${tool} is not installed (scripts/setup-test-deps.sh installs systemd-container)`;
  }
  if (!readFileSync('/proc/filesystems', 'utf8').includes('overlay'))
    return 'the kernel has no overlay file system';
  // The root file system's recipe, tried in a throw-away namespace (fails in unprivileged containers).
  const dir = mkdtempSync(join(tmpdir(), 'm2m-nspawn-probe-'));
  const probe = spawnSync(
    'unshare',
    ['-m', '--propagation', 'private', 'sh', '-c', OVERLAY_PROBE, 'probe', dir],
    { encoding: 'utf8' },
  );
  rmSync(dir, { recursive: true, force: true });
  if (probe.status !== 0)
    return `cannot mount an overlay of / in a private mount namespace here: ${probe.stderr.trim()}`;
  if (/^\/(home|root)\//.test(process.execPath))
    return `node is at ${process.execPath}: the unit's ProtectHome=yes hides it; install Node system-wide`;
  return undefined;
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // exited meanwhile
    }
  }
  return out;
}

/** True when `pid` is PID 1 of its own (nested) PID namespace. */
function isNamespaceInit(pid: number): boolean {
  try {
    const nspid = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    const ids = nspid?.trim().split(/\s+/) ?? [];
    return ids.length > 1 && ids[ids.length - 1] === '1';
  } catch {
    return false;
  }
}

function run(argv: readonly string[], input: string | undefined): Promise<ExecResult> {
  return new Promise((resolve) => {
    const [file = '', ...args] = argv;
    const child = execFile(
      file,
      args,
      { env: INSIDE_ENV, maxBuffer: 64 * 1024 * 1024, timeout: 180_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr: err && code === 1 && !stderr ? err.message : stderr });
      },
    );
    // A command that exits without reading its input (e.g. `cat FILE`) closes the pipe: EPIPE is
    // expected then, not an error of the test.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** Boots the container and resolves once its systemd reports the boot finished. */
export async function bootContainer(repoDir: string): Promise<Container> {
  // A run killed with SIGKILL leaves its (empty) mount point behind: tidy up those older than an
  // hour. Never a younger one: removing a directory that is a mount point in another run's
  // namespace would detach that run's root file system.
  for (const name of readdirSync(tmpdir())) {
    const path = join(tmpdir(), name);
    if (name.startsWith('m2m-nspawn-') && statSync(path).mtimeMs < Date.now() - 3_600_000) {
      try {
        rmdirSync(path);
      } catch {
        // not empty or in use by a running test: leave it
      }
    }
  }
  const base = mkdtempSync(join(tmpdir(), 'm2m-nspawn-'));
  let consoleOut = '';
  // setpriv --pdeathsig: systemd-nspawn (exec'd by unshare and bash) gets SIGTERM if we die.
  const nspawn: ChildProcess = spawn(
    'setpriv',
    [
      '--pdeathsig',
      'SIGTERM',
      'unshare',
      '-m',
      '--propagation',
      'private',
      'bash',
      '-c',
      BOOT_SCRIPT,
      'boot',
      base,
      repoDir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...INSIDE_ENV } },
  );
  const keep = (b: Buffer): void => {
    consoleOut = (consoleOut + b.toString()).slice(-20_000);
  };
  nspawn.stdout?.on('data', keep);
  nspawn.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => {
    nspawn.once('exit', () => {
      resolve();
    });
  });
  let gone = false;
  void exited.then(() => {
    gone = true;
    rmSync(base, { recursive: true, force: true }); // only an empty mount point on the host
  });

  const stop = async (graceMs = 20_000): Promise<void> => {
    if (gone) return;
    nspawn.kill('SIGTERM');
    const timer = setTimeout(() => nspawn.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };

  try {
    const nspawnPid = nspawn.pid;
    if (nspawnPid === undefined) throw new Error('could not spawn systemd-nspawn');
    let initPid: number | undefined;
    const deadline = Date.now() + 60_000;
    while (initPid === undefined) {
      if (gone) throw new Error(`systemd-nspawn exited during boot:\n${consoleOut}`);
      if (Date.now() > deadline) throw new Error(`the container did not start:\n${consoleOut}`);
      // setpriv, unshare and bash all exec: nspawn keeps the PID we spawned.
      // Its first children are short-lived helpers; PID 1 of the new PID namespace is the init.
      initPid = childrenOf(nspawnPid).find(isNamespaceInit);
      if (initPid === undefined) await new Promise((r) => setTimeout(r, 50));
    }
    const pid = initPid;
    const exec = (argv: readonly string[], input?: string): Promise<ExecResult> =>
      run(['nsenter', '-t', String(pid), '-a', ...argv], input);
    // Waits for the boot to finish; "degraded" (some unit failed) is still a usable system.
    // Right after the fork PID 1 does not answer yet ("offline"): ask again until it does.
    let booted = await exec(['systemctl', 'is-system-running', '--wait']);
    while (/offline|Failed to connect/.test(booted.stdout + booted.stderr) && !gone) {
      if (Date.now() > deadline) break;
      await new Promise((r) => setTimeout(r, 100));
      booted = await exec(['systemctl', 'is-system-running', '--wait']);
    }
    if (!/running|degraded/.test(booted.stdout))
      throw new Error(
        `the container did not boot (${booted.stdout.trim()} ${booted.stderr.trim()}):\n${consoleOut}`,
      );
    return {
      initPid: pid,
      exec,
      sh: async (script, input) => {
        const r = await exec(['bash', '-c', script], input);
        if (r.code !== 0)
          throw new Error(`inside the container: ${script}\nexit ${r.code}\n${r.stdout}\n${r.stderr}`);
        return r.stdout;
      },
      stop,
    };
  } catch (err) {
    await stop(5_000);
    throw err;
  }
}
