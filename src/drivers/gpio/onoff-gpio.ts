/**
 * GPIO through onoff (sysfs). onoff is an optional dependency with a native part (epoll) that
 * needs a C++ tool chain at install, so it is imported only when a GPIO device is opened and its
 * absence becomes `GpioNotInstalledError` instead of breaking the whole agent (toolchain.md).
 * onoff always works on `/sys/class/gpio`; the sysfs root option only affects our pin mapping.
 */
import type { Logger } from '../../util/log.js';
import { silentLogger } from '../../util/log.js';
import { describeError } from '../../util/errors.js';
import { GpioNotInstalledError, GpioOpenError } from '../errors.js';
import type { GpioEdge, GpioLevel, GpioOpenOptions, GpioOpener, GpioPin } from './gpio-pin.js';

/** The part of onoff's `Gpio` class we use (mirrors onoff.d.ts). */
interface OnoffGpioInstance {
  read(): Promise<0 | 1>;
  write(value: 0 | 1): Promise<void>;
  writeSync(value: 0 | 1): void;
  watch(cb: (err: Error | null | undefined, value: 0 | 1) => void): void;
  unwatchAll(): void;
  setEdge(edge: 'none' | GpioEdge): void;
  unexport(): void;
}
type OnoffGpioClass = new (
  gpio: number,
  direction: 'in' | 'out' | 'high' | 'low',
  options?: { debounceTimeout?: number; activeLow?: boolean },
) => OnoffGpioInstance;

/** Loads onoff's `Gpio` class (injectable so tests can simulate a missing install). */
export type OnoffLoader = () => Promise<{ Gpio: OnoffGpioClass }>;

const loadOnoff: OnoffLoader = async () => {
  const mod = await import('onoff');
  return { Gpio: mod.Gpio as OnoffGpioClass };
};

/** Options of `createOnoffOpener`. */
export interface OnoffOpenerOptions {
  log?: Logger;
  load?: OnoffLoader;
}

/** A `GpioOpener` backed by onoff; rejects with `GpioNotInstalledError` when onoff cannot be loaded. */
export function createOnoffOpener(opts: OnoffOpenerOptions = {}): GpioOpener {
  const log = opts.log ?? silentLogger;
  const load = opts.load ?? loadOnoff;
  let cls: Promise<OnoffGpioClass> | undefined;
  return async (n, o) => {
    cls ??= load().then(
      (m) => m.Gpio,
      (err: unknown) => {
        cls = undefined; // an install fixed later is picked up on the next open
        throw new GpioNotInstalledError(err);
      },
    );
    const Gpio = await cls;
    let gpio: OnoffGpioInstance;
    try {
      // 'high'/'low' set direction and level in one step, so an output never glitches.
      const direction = o.direction === 'in' ? 'in' : (o.initial ?? 0) === 1 ? 'high' : 'low';
      gpio = new Gpio(n, direction, { activeLow: o.activeLow ?? false, debounceTimeout: o.debounceMs ?? 0 });
      // Written once more: some sysfs implementations (and fake trees) ignore the high/low shorthand.
      if (o.direction === 'out') gpio.writeSync(o.initial ?? 0);
    } catch (err) {
      throw new GpioOpenError(n, err);
    }
    return new OnoffGpio(gpio, n, o, log);
  };
}

class OnoffGpio implements GpioPin {
  private closed = false;

  constructor(
    private readonly gpio: OnoffGpioInstance,
    private readonly n: number,
    private readonly opts: GpioOpenOptions,
    private readonly log: Logger,
  ) {}

  read(): Promise<GpioLevel> {
    return this.gpio.read();
  }

  write(level: GpioLevel): Promise<void> {
    return this.gpio.write(level);
  }

  watch(edge: GpioEdge, cb: (level: GpioLevel) => void): void {
    this.gpio.setEdge(edge);
    this.gpio.watch((err, value) => {
      if (err) {
        this.log.warn('gpio interrupt error', { gpio: this.n, err: describeError(err) });
        return;
      }
      if (!this.closed) cb(value);
    });
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    this.gpio.unwatchAll();
    // An unexported BCM line falls back to an input, which would drop a relay during a restart;
    // outputs therefore stay exported and hold their level (the value fd is released at exit).
    if (this.opts.direction === 'in') {
      try {
        this.gpio.unexport();
      } catch (err) {
        this.log.warn('gpio unexport failed', { gpio: this.n, err: describeError(err) });
      }
    }
    return Promise.resolve();
  }
}
