/**
 * A stand-in for systemd's notification socket: a unix datagram socket served by python3 (Node's
 * dgram cannot bind one), which prints each datagram as a JSON string line.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

const LISTENER = `
import json, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o777)  # like /run/systemd/notify: services running as other users can send
print("LISTENING", flush=True)
while True:
    # recv() without an ancillary buffer closes the BARRIER=1 pipe fd, which releases systemd-notify.
    print(json.dumps(s.recv(65536).decode()), flush=True)
`;

export interface NotifyListener {
  /** Resolves with the next datagram (queued ones first). */
  next(): Promise<string>;
  /** Datagrams received and not yet taken by `next()`. */
  readonly queued: string[];
  close(): void;
}

/** Why the real-socket tests cannot run here, or undefined when they can. */
export function notifyListenerSkipReason(): string | undefined {
  if (spawnSync('python3', ['-c', 'pass']).status !== 0) return 'python3 is not installed';
  const probe = spawnSync('systemd-notify', ['--help']);
  if (probe.error) return `systemd-notify is not available (${probe.error.message}); install systemd`;
  return undefined;
}

/** Binds a listener at `path` and resolves once it is ready to receive. */
export async function startNotifyListener(path: string): Promise<NotifyListener> {
  const child: ChildProcess = spawn('python3', ['-c', LISTENER, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const queued: string[] = [];
  const waiters: ((m: string) => void)[] = [];
  const rl = createInterface({ input: child.stdout! });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => {
      reject(new Error(`notify listener exited with ${code}`));
    });
    rl.on('line', (line) => {
      if (line === 'LISTENING') {
        resolve();
        return;
      }
      const msg = JSON.parse(line) as string;
      const w = waiters.shift();
      if (w) w(msg);
      else queued.push(msg);
    });
  });
  return {
    queued,
    next: () => {
      const msg = queued.shift();
      if (msg !== undefined) return Promise.resolve(msg);
      return new Promise((resolve) => waiters.push(resolve));
    },
    close: () => {
      child.kill();
    },
  };
}
