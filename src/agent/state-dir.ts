/**
 * The state directory holds the identity, the outbox and the status: its mode is set explicitly,
 * not left to the caller's umask. Created 0750; an existing one loses what others (and the group's
 * write bit) had; one writable by every user is refused, since anyone could have replaced its
 * contents already.
 */
import { chmod, mkdir, stat } from 'node:fs/promises';
import { AgentError } from '../util/errors.js';
import type { Logger } from '../util/log.js';

/** The state directory's mode: the service's group (admins running `status`) may read it. */
export const STATE_DIR_MODE = 0o750;

/** The state directory is writable by every user. */
export class StateDirInsecureError extends AgentError {
  override readonly name = 'StateDirInsecureError';
  constructor(dir: string, mode: number) {
    super('STATE_DIR_INSECURE', `${dir} is writable by every user (mode ${(mode & 0o7777).toString(8)})`, {
      hint: `chmod 750 ${dir} after checking its contents (identity.json, outbox/) were not tampered with`,
    });
  }
}

/** Creates `dir` (0750) or tightens it to at most 0750; throws `STATE_DIR_INSECURE` if others may write it. */
export async function prepareStateDir(dir: string, logger: Logger): Promise<void> {
  const created = await mkdir(dir, { recursive: true, mode: STATE_DIR_MODE });
  const mode = (await stat(dir)).mode & 0o7777;
  if (created === undefined && (mode & 0o002) !== 0) throw new StateDirInsecureError(dir, mode);
  const wanted = mode & STATE_DIR_MODE;
  if (created !== undefined ? mode !== STATE_DIR_MODE : wanted !== mode) {
    // mkdir's mode went through the umask; an existing directory may be wider than it should be.
    const to = created !== undefined ? STATE_DIR_MODE : wanted;
    try {
      await chmod(dir, to);
    } catch (err) {
      // Not ours to change (another owner): usable still, but say so.
      logger.warn('cannot tighten the state directory permissions', {
        dir,
        mode: mode.toString(8),
        error: err,
      });
      return;
    }
    if (created === undefined)
      logger.info('state directory permissions tightened', {
        dir,
        from: mode.toString(8),
        to: to.toString(8),
      });
  }
}
