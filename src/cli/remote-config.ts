/**
 * A configuration patch from the registrar (README "Managing a fleet"), applied as `SIGHUP`
 * applies a changed file: validated exactly as `check` validates (file, stored patch and this
 * patch together), stored in `stateDir/remote-config.json`, then the agent restarted in place;
 * when the new configuration does not start, the previous one is started again and the stored
 * patch put back. The outcome is what `config-status` shows.
 */
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { readStoredPatch, restoreStored, storeOutcome, storePatch } from '../config/remote-store.js';
import type { AgentConfig } from '../config/types.js';
import type { Issue } from '../util/issues.js';
import type { Logger } from '../util/log.js';
import { describeError } from '../util/errors.js';
import { deviceModelDirs } from './paths.js';

export type PatchOutcome =
  | { readonly status: 'accepted'; readonly revision: number }
  | { readonly status: 'refused'; readonly issues: readonly Issue[] };

export interface ApplyPatchContext {
  readonly path: string;
  readonly current: () => AgentConfig;
  readonly log: () => Logger;
  /** Stops the running agent and starts it with `next` (throws if it does not start). */
  readonly restart: (next: AgentConfig) => Promise<void>;
  /** Starts the agent again with the configuration that ran (after `restart` failed). */
  readonly rollback: (previous: AgentConfig) => Promise<void>;
}

function refused(log: Logger, issues: readonly Issue[]): PatchOutcome {
  log.warn('configuration patch from the registrar refused', { code: 'REMOTE_CONFIG_REFUSED', issues });
  return { status: 'refused', issues };
}

/**
 * Applies the patch and keeps its outcome in the state directory, so that a restarted agent
 * publishes it again in `config-status` (the registrar may have lost it, or never received it).
 */
export async function applyRemotePatch(con: unknown, c: ApplyPatchContext): Promise<PatchOutcome> {
  const outcome = await decide(con, c);
  try {
    await storeOutcome(c.current().stateDir, JSON.stringify(outcome));
  } catch (err) {
    c.log().warn('cannot keep the outcome of the configuration patch; a restart will not publish it again', {
      error: describeError(err),
    });
  }
  return outcome;
}

async function decide(con: unknown, c: ApplyPatchContext): Promise<PatchOutcome> {
  const previous = c.current();
  let patch: unknown = con;
  if (typeof con === 'string') {
    try {
      patch = JSON.parse(con) as unknown;
    } catch (err) {
      return refused(c.log(), [
        { path: '', message: `not valid JSON: ${describeError(err)}`, hint: 'send a JSON merge patch' },
      ]);
    }
  }
  let next: AgentConfig;
  try {
    next = await loadConfig(c.path, { deviceModelDirs: deviceModelDirs(c.path), pendingPatch: patch });
  } catch (err) {
    if (err instanceof ConfigError) return refused(c.log(), err.issues);
    throw err;
  }
  const before = await readStoredPatch(previous.stateDir);
  const stored = await storePatch(previous.stateDir, patch as Record<string, unknown>);
  try {
    await c.restart(next);
  } catch (err) {
    await restoreStored(previous.stateDir, before);
    c.log().error('the patched configuration did not start; back to the previous one', {
      error: describeError(err),
    });
    await c.rollback(previous);
    return refused(c.log(), [{ path: '', message: `did not start: ${describeError(err)}` }]);
  }
  c.log().info('configuration patch from the registrar applied', { revision: stored.revision });
  return { status: 'accepted', revision: stored.revision };
}
