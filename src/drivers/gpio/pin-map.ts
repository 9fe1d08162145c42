/**
 * BCM pin numbers → sysfs GPIO numbers (pure). Raspberry Pi kernels 6.6+ number sysfs GPIOs from
 * the gpiochip's base (512 on a Pi 4, 571 on a Pi 5 have been reported; onoff issue #199), so
 * "GPIO 17" is `base + 17`, and the base must be read from the chip that carries the header pins.
 */
import { DriverParamsError, GpioChipNotFoundError } from '../errors.js';

/** One `/sys/class/gpio/gpiochipN` directory. */
export interface GpioChipInfo {
  /** Directory name, e.g. `gpiochip512`. */
  readonly name: string;
  readonly base: number;
  readonly label: string;
  readonly ngpio: number;
}

/** Labels of the SoC GPIO controllers that carry the 40-pin header (Pi 1–3 / Pi 4 / Pi 5). */
export const PI_GPIO_LABELS: readonly string[] = ['pinctrl-bcm2835', 'pinctrl-bcm2711', 'pinctrl-rp1', 'rp1'];

/** Line counts of those controllers, used only when no label is known (54: BCM2835 and RP1, 58: BCM2711). */
const PI_NGPIO = [54, 58];

/**
 * The chip that carries the header pins: the one with a known label, else the only chip with a
 * Pi-like line count. Throws `GpioChipNotFoundError` listing what was found.
 */
export function findPiGpioChip(chips: readonly GpioChipInfo[]): GpioChipInfo {
  const byLabel = chips.find((c) => PI_GPIO_LABELS.includes(c.label));
  if (byLabel) return byLabel;
  const byCount = chips.filter((c) => PI_NGPIO.includes(c.ngpio));
  const only = byCount.length === 1 ? byCount[0] : undefined;
  if (only) return only;
  throw new GpioChipNotFoundError(chips.map((c) => `${c.name} "${c.label}" base ${c.base} ngpio ${c.ngpio}`));
}

/**
 * The sysfs number of BCM pin `bcm`. `sysfsBase` (params) overrides the chip lookup for boards whose
 * controller is not recognised.
 */
export function bcmToSysfs(bcm: number, chips: readonly GpioChipInfo[], sysfsBase?: number): number {
  if (!Number.isInteger(bcm) || bcm < 0)
    throw new DriverParamsError('params.gpio', 'must be a BCM pin number (0 or more)');
  if (sysfsBase !== undefined) return sysfsBase + bcm;
  const chip = findPiGpioChip(chips);
  if (bcm >= chip.ngpio) {
    throw new DriverParamsError(
      'params.gpio',
      `BCM ${bcm} is beyond the ${chip.ngpio} lines of ${chip.label}`,
    );
  }
  return chip.base + bcm;
}
