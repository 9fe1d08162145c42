/**
 * One GPIO line behind a small interface (style.md, "Drivers"), so the drivers run unchanged on
 * onoff (`OnoffGpio`) and on `FakeGpio` in tests; one contract suite checks both.
 */

/** A line level; with `activeLow` it is the logical (inverted) level. */
export type GpioLevel = 0 | 1;
/** Which changes `watch` reports. */
export type GpioEdge = 'rising' | 'falling' | 'both';

/** How a line is opened. */
export interface GpioOpenOptions {
  readonly direction: 'in' | 'out';
  /** Output level set when the line is opened (outputs only; default 0). */
  readonly initial?: GpioLevel;
  /** Invert the line: 1 means electrically low. */
  readonly activeLow?: boolean;
  /** Report an input change only after it has been stable this long (0: no debounce). */
  readonly debounceMs?: number;
}

/** An open GPIO line. */
export interface GpioPin {
  read(): Promise<GpioLevel>;
  write(level: GpioLevel): Promise<void>;
  /** Calls `cb` with the new level on each change matching `edge` (inputs). */
  watch(edge: GpioEdge, cb: (level: GpioLevel) => void): void;
  /** Stops watching and releases the line (inputs are unexported; outputs keep their level). */
  close(): Promise<void>;
}

/** Opens the line with the given sysfs number. */
export type GpioOpener = (sysfsNumber: number, opts: GpioOpenOptions) => Promise<GpioPin>;
