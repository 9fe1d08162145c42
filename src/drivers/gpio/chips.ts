/** Reads the gpiochips of a sysfs tree (`<sysfsRoot>/class/gpio/gpiochip*`). */
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../util/log.js';
import { silentLogger } from '../../util/log.js';
import { describeError } from '../../util/errors.js';
import { GpioSysfsMissingError } from '../errors.js';
import type { GpioChipInfo } from './pin-map.js';

/** The default sysfs mount point. */
export const DEFAULT_SYSFS_ROOT = '/sys';

/**
 * Lists the gpiochips under `<sysfsRoot>/class/gpio`. Throws `GpioSysfsMissingError` when that
 * directory does not exist (kernels without CONFIG_GPIO_SYSFS). A chip whose files cannot be read
 * is logged and left out.
 */
export async function readGpioChips(
  sysfsRoot = DEFAULT_SYSFS_ROOT,
  log: Logger = silentLogger,
): Promise<GpioChipInfo[]> {
  const dir = path.join(sysfsRoot, 'class', 'gpio');
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new GpioSysfsMissingError(dir);
    throw err;
  }
  const chips: GpioChipInfo[] = [];
  for (const name of names.filter((n) => /^gpiochip\d+$/.test(n)).sort()) {
    try {
      const read = (f: string): Promise<string> =>
        fsp.readFile(path.join(dir, name, f), 'utf8').then((s) => s.trim());
      const [base, label, ngpio] = await Promise.all([read('base'), read('label'), read('ngpio')]);
      const info = { name, base: Number(base), label, ngpio: Number(ngpio) };
      if (!Number.isInteger(info.base) || !Number.isInteger(info.ngpio))
        throw new Error(`bad base/ngpio "${base}"/"${ngpio}"`);
      chips.push(info);
    } catch (err) {
      log.warn('unreadable gpiochip skipped', { chip: name, err: describeError(err) });
    }
  }
  return chips;
}
