import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bcmToSysfs, findPiGpioChip } from '../../../src/drivers/gpio/pin-map.js';
import type { GpioChipInfo } from '../../../src/drivers/gpio/pin-map.js';
import { AgentError } from '../../../src/util/errors.js';
import { OLD_PI3_CHIPS, PI4_CHIPS, PI5_CHIPS } from '../../helpers/fake-sysfs.js';
import type { FakeChip } from '../../helpers/fake-sysfs.js';

const info = (chips: readonly FakeChip[]): GpioChipInfo[] =>
  chips.map((c) => ({ name: `gpiochip${c.base}`, ...c }));
const code = (c: string) => (e: unknown) => e instanceof AgentError && e.code === c;

test('BCM 17 on a Pi 4 with a 6.6 kernel is sysfs 529 (base 512)', () => {
  assert.equal(bcmToSysfs(17, info(PI4_CHIPS)), 529);
});

test('BCM 17 on a Pi 5 is sysfs 588 (rp1 base 571), not one of the brcmstb chips', () => {
  assert.equal(findPiGpioChip(info(PI5_CHIPS)).label, 'pinctrl-rp1');
  assert.equal(bcmToSysfs(17, info(PI5_CHIPS)), 588);
});

test('older kernels number from 0', () => {
  assert.equal(bcmToSysfs(4, info(OLD_PI3_CHIPS)), 4);
});

test('an unknown label is accepted when exactly one chip has a Pi line count', () => {
  const chips = info([
    { base: 100, label: 'some-soc-gpio', ngpio: 54 },
    { base: 200, label: 'expander', ngpio: 8 },
  ]);
  assert.equal(bcmToSysfs(2, chips), 102);
});

test('no recognisable chip: GPIO_CHIP_NOT_FOUND listing what was seen; sysfsBase overrides', () => {
  const chips = info([{ base: 0, label: 'gpio-mockup-A', ngpio: 8 }]);
  assert.throws(
    () => bcmToSysfs(1, chips),
    (e: unknown) => code('GPIO_CHIP_NOT_FOUND')(e) && (e as Error).message.includes('gpio-mockup-A'),
  );
  assert.throws(() => bcmToSysfs(1, []), code('GPIO_CHIP_NOT_FOUND'));
  assert.equal(bcmToSysfs(3, chips, 400), 403);
});

test('a pin beyond the chip is a params error', () => {
  assert.throws(() => bcmToSysfs(54, info(PI5_CHIPS)), code('DRIVER_BAD_PARAMS'));
  assert.equal(bcmToSysfs(57, info(PI4_CHIPS)), 569);
  assert.throws(() => bcmToSysfs(-1, info(PI4_CHIPS)), code('DRIVER_BAD_PARAMS'));
});
