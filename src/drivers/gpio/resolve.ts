/** Turns a device's BCM pin into the sysfs number to open, reading the chips of the sysfs tree. */
import type { Logger } from '../../util/log.js';
import { readGpioChips } from './chips.js';
import { bcmToSysfs } from './pin-map.js';

/**
 * The sysfs number of `bcm`. Throws `GpioSysfsMissingError` when the tree has no `class/gpio`
 * (even with an explicit `sysfsBase`: without it nothing can be opened anyway).
 */
export async function resolveGpioNumber(
  bcm: number,
  sysfsBase: number | undefined,
  sysfsRoot: string | undefined,
  log: Logger,
): Promise<number> {
  const chips = await readGpioChips(sysfsRoot, log);
  return bcmToSysfs(bcm, chips, sysfsBase);
}
