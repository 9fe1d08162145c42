/**
 * Small per-device state files (the sim counter's last value, a relay's last commanded level).
 * Written atomically (temp file, fsync, rename, fsync of the directory) so a power cut leaves
 * either the old or the new value, never a torn file.
 */
import { promises as fsp } from 'node:fs';
import path from 'node:path';

/** The state file path of one device: `<stateDir>/drivers/<key>.json` (key made file-name safe). */
export function stateFilePath(stateDir: string, key: string): string {
  const safe = key.replace(/[^A-Za-z0-9._-]/g, '_');
  return path.join(stateDir, 'drivers', `${safe}.json`);
}

/** Reads a state file; undefined when it does not exist. Throws on unreadable or non-JSON content. */
export async function readStateFile(file: string): Promise<unknown> {
  const text = await readStateText(file);
  return text === undefined ? undefined : (JSON.parse(text) as unknown);
}

/** A state file's text; undefined when it does not exist. Throws when it cannot be read. */
export async function readStateText(file: string): Promise<string | undefined> {
  try {
    return await fsp.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

let tmpSeq = 0;

/** Replaces a state file atomically with `value` as JSON. */
export async function writeStateFile(file: string, value: unknown): Promise<void> {
  const dir = path.dirname(file);
  await fsp.mkdir(dir, { recursive: true, mode: 0o750 });
  const tmp = `${file}.tmp-${process.pid}-${++tmpSeq}`;
  try {
    const handle = await fsp.open(tmp, 'w', 0o640);
    try {
      await handle.writeFile(JSON.stringify(value) + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fsp.rename(tmp, file);
  } catch (err) {
    // Any failure (a full disk fails the write, not the open) leaves no temporary file behind.
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  // The rename is durable only once the directory entry is flushed too.
  const dirHandle = await fsp.open(dir, 'r');
  try {
    await dirHandle.sync();
  } finally {
    await dirHandle.close();
  }
}
