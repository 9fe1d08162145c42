/**
 * One agent per state directory: two processes appending to the same outbox would corrupt it.
 * A pid file taken with O_EXCL; a file whose process is gone (a crash, a power cut) is taken over.
 */
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError } from '../util/errors.js';

export class StateDirLockedError extends AgentError {
  override readonly name = 'StateDirLockedError';
  constructor(dir: string, pid: number) {
    super('STATE_DIR_LOCKED', `${dir} is in use by another m2m-agent (pid ${pid})`, {
      hint: 'stop the other agent (systemctl stop m2m-agent) or give this one another stateDir',
    });
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the lock; resolves with a release function. */
export async function lockStateDir(dir: string): Promise<() => Promise<void>> {
  const path = join(dir, 'agent.pid');
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fh = await open(path, 'wx');
      await fh.writeFile(`${process.pid}\n`);
      await fh.close();
      return async () => {
        await rm(path, { force: true });
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number((await readFile(path, 'utf8').catch(() => '')).trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid))
        throw new StateDirLockedError(dir, pid);
      await rm(path, { force: true }); // stale: its process is gone
    }
  }
  throw new AgentError('STATE_DIR_LOCK_FAILED', `cannot take the lock ${path}`, {
    hint: 'check the state directory',
  });
}
