/**
 * A pair of connected pseudo-terminals from socat (toolchain.md, "Serial"): what is written to
 * one end can be read at the other, through the real kernel tty layer. `link=` gives each end a
 * stable path, so a test can kill socat (the "USB adapter unplugged") and start it again with the
 * same paths (plugged back in).
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SerialPort } from 'serialport';

/** True when socat is installed (the tests that need it skip otherwise). */
export function haveSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** Two linked ptys: the driver opens `a`, the test plays the sensor on `b`. */
export interface PtyPair {
  readonly dir: string;
  readonly a: string;
  readonly b: string;
  /** Kills socat: both ends go away, as when a USB adapter is pulled. */
  unplug(): Promise<void>;
  /** Starts socat again on the same link paths. */
  plugIn(): Promise<void>;
  /** Kills socat and removes the temp directory. */
  cleanup(): Promise<void>;
}

/** Starts socat and waits until both links exist and it is transferring data. */
export async function createPtyPair(): Promise<PtyPair> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'm2m-pty-'));
  const a = path.join(dir, 'ttyA');
  const b = path.join(dir, 'ttyB');
  let child: ChildProcess | undefined;

  const start = async (): Promise<void> => {
    const p = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = p;
    let stderr = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(new Error(`socat did not start within 5 s: ${stderr}`));
      }, 5000);
      const check = (): void => {
        if (stderr.includes('starting data transfer loop') && fs.existsSync(a) && fs.existsSync(b)) {
          clearTimeout(timer);
          resolve();
        }
      };
      p.stderr?.on('data', (d: Buffer) => {
        stderr += d.toString();
        check();
      });
      p.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`socat exited with ${code}: ${stderr}`));
      });
      p.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
    p.removeAllListeners('exit');
  };

  const stop = async (): Promise<void> => {
    const p = child;
    child = undefined;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => {
        resolve();
      });
      p.kill('SIGTERM');
    });
    // socat removes its links on SIGTERM; make sure, so a re-plug really creates new ones.
    fs.rmSync(a, { force: true });
    fs.rmSync(b, { force: true });
  };

  await start();
  return {
    dir,
    a,
    b,
    unplug: stop,
    plugIn: start,
    cleanup: async () => {
      await stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The sensor's end: a real `SerialPort` on `b`, with helpers to write and to collect what arrives. */
export interface PtyPeer {
  readonly port: SerialPort;
  /** Writes bytes or text and waits until the OS has them. */
  write(data: Uint8Array | string): Promise<void>;
  /** Resolves once at least `n` bytes have arrived since the last `take`, and hands them over. */
  take(n: number, timeoutMs?: number): Promise<Buffer>;
  close(): Promise<void>;
}

/** Opens the peer end of a pair (9600 8N1; a pty ignores the line settings anyway). */
export async function openPeer(p: string): Promise<PtyPeer> {
  const port = new SerialPort({ path: p, baudRate: 9600, autoOpen: false });
  await new Promise<void>((resolve, reject) => {
    port.open((err) => {
      if (err) reject(err);
      else resolve();
    });
  });
  let received = Buffer.alloc(0);
  let waiter: (() => void) | undefined;
  port.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    waiter?.();
  });
  return {
    port,
    write: (data) =>
      new Promise<void>((resolve, reject) => {
        port.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : Buffer.from(data), (err) => {
          if (err) reject(err);
          else
            port.drain((e) => {
              if (e) reject(e);
              else resolve();
            });
        });
      }),
    take: (n, timeoutMs = 5000) =>
      new Promise<Buffer>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`only ${received.length} of ${n} bytes arrived`));
        }, timeoutMs);
        const check = (): void => {
          if (received.length < n) return;
          clearTimeout(timer);
          waiter = undefined;
          const out = received.subarray(0, n);
          received = received.subarray(n);
          resolve(out);
        };
        waiter = check;
        check();
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) {
          resolve();
          return;
        }
        port.close(() => {
          resolve();
        });
      }),
  };
}
