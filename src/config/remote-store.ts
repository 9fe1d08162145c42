/**
 * Where the configuration patch applied through the registrar is kept: `stateDir/remote-config.json`
 * (mode 0640), merged over the configuration file at every start so a restart keeps it.
 */
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Issue } from '../util/issues.js';
import { applyRemotePatch, remotePatchIssues } from './remote-patch.js';

export const REMOTE_CONFIG_FILE = 'remote-config.json';
/** The outcome of the last patch (what `config-status` shows), published again after a restart. */
export const CONFIG_STATUS_FILE = 'config-status.json';

/** What is stored: the accumulated patch and the revision it reached. */
export interface StoredPatch {
  readonly revision: number;
  readonly patch: Record<string, unknown>;
}

function stateDirOf(raw: unknown): string | undefined {
  const dir = (raw as { stateDir?: unknown } | null)?.stateDir;
  return typeof dir === 'string' && dir !== '' ? dir : undefined;
}

/** `management.remoteConfig.allowConnection` as written in the raw file (default false). */
export function allowConnectionIn(raw: unknown): boolean {
  const m = (raw as { management?: { remoteConfig?: { allowConnection?: unknown } } } | null)?.management;
  return m?.remoteConfig?.allowConnection === true;
}

/** The stored patch of the state directory named by `raw`, or undefined when there is none. */
export async function readStoredPatch(stateDir: string): Promise<StoredPatch | undefined> {
  let text: string;
  try {
    text = await readFile(join(stateDir, REMOTE_CONFIG_FILE), 'utf8');
  } catch (err) {
    // No state directory (yet): nothing stored; whether it can be used is the agent's start to say.
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
  const parsed = JSON.parse(text) as Partial<StoredPatch>;
  return {
    revision: typeof parsed.revision === 'number' ? parsed.revision : 0,
    patch: typeof parsed.patch === 'object' && parsed.patch !== null ? parsed.patch : {},
  };
}

/**
 * Two patches as one: objects merge, anything else (a `null` too: it must still remove the key
 * from the file at the next start) replaces.
 */
function accumulate(earlier: unknown, later: unknown): unknown {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isObj(earlier) || !isObj(later)) return later;
  const out = new Map(Object.entries(earlier));
  for (const [k, v] of Object.entries(later)) out.set(k, accumulate(earlier[k], v));
  return Object.fromEntries(out);
}

/** Stores `patch` merged over what was stored, with the next revision (atomic rename). */
export async function storePatch(stateDir: string, patch: Record<string, unknown>): Promise<StoredPatch> {
  const before = await readStoredPatch(stateDir);
  const next: StoredPatch = {
    revision: (before?.revision ?? 0) + 1,
    patch: accumulate(before?.patch ?? {}, patch) as Record<string, unknown>,
  };
  const file = join(stateDir, REMOTE_CONFIG_FILE);
  await writeFile(`${file}.tmp`, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o640 });
  await rename(`${file}.tmp`, file);
  return next;
}

/** The raw configuration with the stored patch applied; its problems carry the file's name. */
export async function withPersistedPatch(
  raw: unknown,
  baseDir: string,
): Promise<{ raw: unknown; issues: Issue[] }> {
  const named = stateDirOf(raw);
  if (named === undefined) return { raw, issues: [] };
  const dir = resolve(baseDir, named);
  const where = join(dir, REMOTE_CONFIG_FILE);
  const hint = `the patch applied through the registrar no longer fits this file: fix it or delete ${where}`;
  let stored: StoredPatch | undefined;
  try {
    stored = await readStoredPatch(dir);
  } catch (err) {
    return { raw, issues: [{ path: where, message: `cannot be read: ${(err as Error).message}`, hint }] };
  }
  if (!stored) return { raw, issues: [] };
  const refused = remotePatchIssues(stored.patch, { allowConnection: allowConnectionIn(raw) });
  const applied = refused.length > 0 ? { issues: refused } : applyRemotePatch(raw, stored.patch);
  if (applied.issues.length > 0 || applied.raw === undefined)
    return { raw, issues: applied.issues.map((i) => ({ ...i, path: `${where}: ${i.path}`, hint })) };
  return { raw: applied.raw, issues: [] };
}

/** Puts back what was stored before a patch whose configuration did not start (rollback). */
export async function restoreStored(stateDir: string, before: StoredPatch | undefined): Promise<void> {
  const file = join(stateDir, REMOTE_CONFIG_FILE);
  if (before === undefined) {
    await rm(file, { force: true });
    return;
  }
  await writeFile(`${file}.tmp`, `${JSON.stringify(before, null, 2)}\n`, { mode: 0o640 });
  await rename(`${file}.tmp`, file);
}

/** Keeps the outcome of the last patch (JSON text) for the next start to publish again. */
export async function storeOutcome(stateDir: string, outcome: string): Promise<void> {
  const file = join(stateDir, CONFIG_STATUS_FILE);
  await writeFile(`${file}.tmp`, `${outcome}\n`, { mode: 0o640 });
  await rename(`${file}.tmp`, file);
}

/** The outcome of the last patch as stored, or undefined when none was ever received or it is unreadable. */
export async function readOutcome(stateDir: string): Promise<string | undefined> {
  try {
    const text = (await readFile(join(stateDir, CONFIG_STATUS_FILE), 'utf8')).trim();
    JSON.parse(text);
    return text;
  } catch {
    // Absent (no patch yet) or torn: nothing to publish again; the next patch writes it anew.
    return undefined;
  }
}
