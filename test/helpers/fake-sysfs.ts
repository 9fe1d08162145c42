/**
 * Fake sysfs trees as plain files (toolchain.md, "GPIO (onoff) without a board"): the GPIO class
 * directory with its gpiochips and exported pins, the 1-Wire devices directory and the thermal
 * class. Used in temp directories for the pure mapping and file drivers, and on a tmpfs over
 * `/sys/class` inside a private mount namespace for onoff's real code.
 */
import fs from 'node:fs';
import path from 'node:path';

/** One gpiochip as the kernel describes it. */
export interface FakeChip {
  readonly base: number;
  readonly label: string;
  readonly ngpio: number;
}

/** Chips of real boards: Pi 4 on a 6.6 kernel (base 512), Pi 5 (571), and an old kernel (base 0). */
export const PI4_CHIPS: readonly FakeChip[] = [
  { base: 512, label: 'pinctrl-bcm2711', ngpio: 58 },
  { base: 570, label: 'raspberrypi-exp-gpio', ngpio: 8 },
];
export const PI5_CHIPS: readonly FakeChip[] = [
  { base: 512, label: 'gpio-brcmstb@107d508500', ngpio: 32 },
  { base: 544, label: 'gpio-brcmstb@107d508520', ngpio: 4 },
  { base: 548, label: 'gpio-brcmstb@107d517c00', ngpio: 17 },
  { base: 565, label: 'gpio-brcmstb@107d517c20', ngpio: 6 },
  { base: 571, label: 'pinctrl-rp1', ngpio: 54 },
];
export const OLD_PI3_CHIPS: readonly FakeChip[] = [
  { base: 0, label: 'pinctrl-bcm2835', ngpio: 54 },
  { base: 504, label: 'raspberrypi-exp-gpio', ngpio: 8 },
];

/**
 * Creates `<classDir>/gpio` with `export`, `unexport`, `gpiochip<base>/{base,label,ngpio}` and,
 * for each sysfs number in `pins`, `gpio<N>/{direction,value,edge,active_low}`.
 */
export function makeGpioTree(
  classDir: string,
  chips: readonly FakeChip[],
  pins: readonly number[] = [],
): string {
  const gpio = path.join(classDir, 'gpio');
  fs.mkdirSync(gpio, { recursive: true });
  fs.writeFileSync(path.join(gpio, 'export'), '');
  fs.writeFileSync(path.join(gpio, 'unexport'), '');
  for (const c of chips) {
    const dir = path.join(gpio, `gpiochip${c.base}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'base'), `${c.base}\n`);
    fs.writeFileSync(path.join(dir, 'label'), `${c.label}\n`);
    fs.writeFileSync(path.join(dir, 'ngpio'), `${c.ngpio}\n`);
  }
  for (const n of pins) {
    const dir = path.join(gpio, `gpio${n}`);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'direction'), 'in\n');
    fs.writeFileSync(path.join(dir, 'value'), '0\n');
    fs.writeFileSync(path.join(dir, 'edge'), 'none\n');
    fs.writeFileSync(path.join(dir, 'active_low'), '0\n');
  }
  return gpio;
}

/** Writes `<w1Root>/<id>/w1_slave` with `content` (creating the tree). */
export function writeW1Slave(w1Root: string, id: string, content: string): string {
  const dir = path.join(w1Root, id);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'w1_slave');
  fs.writeFileSync(file, content);
  return file;
}

/** `w1_slave` content as the w1-therm driver prints it: the CRC line, then the `t=` line. */
export function w1SlaveText(scratchpad: string, crcOk: boolean, milliC: number): string {
  const crc = scratchpad.split(' ')[8] ?? '00';
  return `${scratchpad} : crc=${crc} ${crcOk ? 'YES' : 'NO'}\n${scratchpad} t=${milliC}\n`;
}

/** Writes `<thermalRoot>/<zone>/temp` with `content`. */
export function writeThermalZone(thermalRoot: string, zone: string, content: string): string {
  const dir = path.join(thermalRoot, zone);
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'temp');
  fs.writeFileSync(file, content);
  return file;
}
