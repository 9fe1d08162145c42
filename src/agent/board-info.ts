/**
 * What the board says about itself, read from the files Linux exposes (device tree or DMI, os-release,
 * /proc/meminfo, /sys/class/power_supply). Every path hangs off `root` so tests can give a fake tree.
 * A file that is missing or unreadable leaves its value out: a board without DMI is not an error.
 */
import { readdir, readFile } from 'node:fs/promises';
import { release } from 'node:os';
import { join } from 'node:path';

export interface BoardFacts {
  readonly model: string;
  readonly manufacturer: string;
  /** `PRETTY_NAME` of os-release and the kernel release: `Debian GNU/Linux 12 (bookworm); Linux 6.1.0`. */
  readonly os: string;
}

export interface MemoryFacts {
  /** Bytes, from MemAvailable / MemTotal. */
  readonly available: number;
  readonly total: number;
}

export interface BatteryFacts {
  /** Percent, 0-100. */
  readonly level: number;
  /** TS-0004 batteryStatus: 1 normal, 2 charging, 3 charging complete, 4 damaged, 5 low, 7 unknown. */
  readonly status: number;
}

async function text(path: string): Promise<string | undefined> {
  try {
    // The device tree's strings end with a NUL.
    const s = (await readFile(path, 'utf8')).replace(/\0/g, '').trim();
    return s === '' ? undefined : s;
  } catch {
    return undefined;
  }
}

/** Model, manufacturer and OS of the board under `root` (`/` on the device). */
export async function readBoardFacts(root = '/', kernel = release()): Promise<BoardFacts> {
  const dtModel = await text(join(root, 'proc/device-tree/model'));
  const dmiModel = await text(join(root, 'sys/class/dmi/id/product_name'));
  const dmiVendor = await text(join(root, 'sys/class/dmi/id/sys_vendor'));
  const osRelease = (await text(join(root, 'etc/os-release'))) ?? '';
  const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(osRelease)?.[1];
  const model = dtModel ?? dmiModel ?? 'unknown';
  // A device-tree model starts with the maker ("Raspberry Pi 4 Model B Rev 1.4").
  const manufacturer = dmiVendor ?? (dtModel?.startsWith('Raspberry Pi') ? 'Raspberry Pi Ltd' : 'unknown');
  return { model, manufacturer, os: `${pretty ?? 'Linux'}; Linux ${kernel}` };
}

/** MemAvailable and MemTotal from /proc/meminfo, in bytes; undefined if it cannot be read. */
export async function readMemory(root = '/'): Promise<MemoryFacts | undefined> {
  const info = await text(join(root, 'proc/meminfo'));
  const kb = (key: string): number | undefined => {
    const m = new RegExp(`^${key}:\\s+(\\d+) kB$`, 'm').exec(info ?? '');
    return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
  };
  const total = kb('MemTotal');
  const available = kb('MemAvailable');
  return total === undefined || available === undefined ? undefined : { available, total };
}

const BATTERY_STATUS: Readonly<Record<string, number>> = {
  Discharging: 1,
  'Not charging': 1,
  Charging: 2,
  Full: 3,
};

/** The first power supply of type Battery, or undefined where the board has none. */
export async function readBattery(root = '/'): Promise<BatteryFacts | undefined> {
  const dir = join(root, 'sys/class/power_supply');
  let names: string[];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return undefined;
  }
  for (const name of names) {
    if ((await text(join(dir, name, 'type'))) !== 'Battery') continue;
    const capacity = Number(await text(join(dir, name, 'capacity')));
    if (!Number.isFinite(capacity)) continue;
    const level = Math.max(0, Math.min(100, Math.round(capacity)));
    const raw = (await text(join(dir, name, 'status'))) ?? '';
    const status = BATTERY_STATUS[raw] ?? 7;
    return { level, status: status === 1 && level <= 10 ? 5 : status };
  }
  return undefined;
}
