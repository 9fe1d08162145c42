/**
 * The contract every `GpioPin` implementation meets (style.md: one suite, run against the fake and
 * the real driver). A harness wires one input line to a test-controlled level and lets the test
 * observe one output line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { GpioLevel, GpioOpener } from '../../../src/drivers/gpio/gpio-pin.js';

/** How the suite reaches one implementation. */
export interface GpioHarness {
  readonly opener: GpioOpener;
  /** Sysfs number of a line whose level the test drives from outside. */
  readonly inputLine: number;
  /** Sysfs number of a line the test opens as an output and observes. */
  readonly outputLine: number;
  /** Sets the (logical) level of the input line, as a button or sensor would. */
  drive(level: GpioLevel): void;
  /** The level of the output line as the outside world sees it. */
  observe(): GpioLevel;
}

/** Gives a real interrupt time to be handled before the next change, so changes are not coalesced. */
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 50));

/** Waits until `values` has `n` entries (the interrupts of the real driver arrive asynchronously). */
async function waitForCount(values: unknown[], n: number, timeoutMs = 3000): Promise<void> {
  const start = Date.now();
  while (values.length < n) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`expected ${n} callbacks, got ${JSON.stringify(values)}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Registers the contract tests for `name`; `make` is called once per test. */
export function gpioPinContract(name: string, make: () => Promise<GpioHarness>): void {
  test(`${name}: read follows the driven input level`, async () => {
    const h = await make();
    h.drive(0);
    const pin = await h.opener(h.inputLine, { direction: 'in' });
    try {
      assert.equal(await pin.read(), 0);
      h.drive(1);
      assert.equal(await pin.read(), 1);
    } finally {
      await pin.close();
    }
  });

  test(`${name}: watch("both") reports each change with the new level`, async () => {
    const h = await make();
    h.drive(0);
    const pin = await h.opener(h.inputLine, { direction: 'in' });
    const seen: GpioLevel[] = [];
    pin.watch('both', (v) => seen.push(v));
    try {
      h.drive(1);
      await waitForCount(seen, 1);
      h.drive(0);
      await waitForCount(seen, 2);
      assert.deepEqual(seen, [1, 0]);
    } finally {
      await pin.close();
    }
  });

  test(`${name}: watch("rising") ignores falling edges`, async () => {
    const h = await make();
    h.drive(0);
    const pin = await h.opener(h.inputLine, { direction: 'in' });
    const seen: GpioLevel[] = [];
    pin.watch('rising', (v) => seen.push(v));
    try {
      h.drive(1);
      await waitForCount(seen, 1);
      h.drive(0); // must not be reported …
      await settle();
      h.drive(1); // … so the next callback is this rising edge
      await waitForCount(seen, 2);
      await settle();
      assert.deepEqual(seen, [1, 1]);
    } finally {
      await pin.close();
    }
  });

  test(`${name}: debounce reports a burst of bounces once, with the settled level`, async () => {
    const h = await make();
    h.drive(0);
    const pin = await h.opener(h.inputLine, { direction: 'in', debounceMs: 100 });
    const seen: GpioLevel[] = [];
    pin.watch('both', (v) => seen.push(v));
    try {
      h.drive(1);
      h.drive(0);
      h.drive(1);
      await waitForCount(seen, 1);
      h.drive(0);
      await waitForCount(seen, 2);
      assert.deepEqual(seen, [1, 0]);
    } finally {
      await pin.close();
    }
  });

  test(`${name}: an output starts at its initial level and follows writes`, async () => {
    const h = await make();
    const pin = await h.opener(h.outputLine, { direction: 'out', initial: 1 });
    try {
      assert.equal(h.observe(), 1);
      assert.equal(await pin.read(), 1);
      await pin.write(0);
      assert.equal(h.observe(), 0);
      assert.equal(await pin.read(), 0);
      await pin.write(1);
      assert.equal(h.observe(), 1);
    } finally {
      await pin.close();
    }
  });
}
