import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DeviceRunner, driverOpenBackoffMs } from '../../src/drivers/device-runner.js';
import type { DeviceRunnerOptions } from '../../src/drivers/device-runner.js';
import type { ActuatorCommand, DeviceDriver, DriverContext, Reading } from '../../src/drivers/types.js';
import { makeReading } from '../../src/drivers/reading.js';
import { ManualClock } from '../../src/util/clock.js';
import { memoryLogger } from '../../src/util/log.js';
import { AgentError } from '../../src/util/errors.js';

type Step = number | Error | 'garbage' | 'hang' | 'throw-sync';

/** A driver scripted step by step: each sample takes the next step. */
class ScriptedDriver implements DeviceDriver {
  opens = 0;
  closes = 0;
  ctx: DriverContext | undefined;
  openFailures: (Error | 'hang')[] = [];
  steps: Step[] = [];
  level = 0;

  open(ctx: DriverContext): Promise<void> {
    this.opens++;
    const f = this.openFailures.shift();
    if (f === 'hang') return new Promise(() => undefined);
    if (f) return Promise.reject(f);
    this.ctx = ctx;
    return Promise.resolve();
  }

  sample(): Promise<readonly Reading[]> {
    const ctx = this.ctx;
    if (!ctx) return Promise.reject(new Error('not open'));
    const s = this.steps.shift() ?? 0;
    if (s === 'throw-sync') throw new Error('sync boom');
    if (s === 'hang') return new Promise(() => undefined);
    if (s === 'garbage') return Promise.resolve([{ n: 'x', v: 'not a number' }] as unknown as Reading[]);
    if (s instanceof Error) return Promise.reject(s);
    return Promise.resolve([makeReading(ctx.clock, 'value', s)]);
  }

  close(): Promise<void> {
    this.closes++;
    this.ctx = undefined;
    return Promise.resolve();
  }
}

class ScriptedActuator extends ScriptedDriver {
  fail = false;
  actuate(cmd: ActuatorCommand): Promise<readonly Reading[]> {
    if (this.fail) return Promise.reject(new Error('relay stuck'));
    const ctx = this.ctx;
    if (!ctx) return Promise.reject(new Error('not open'));
    this.level = cmd === true || (typeof cmd === 'number' && cmd !== 0) ? 1 : 0;
    return Promise.resolve([makeReading(ctx.clock, 'state', this.level === 1)]);
  }
}

/** Lets pending promise callbacks run (the manual clock fires timers synchronously). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 10; i++) await Promise.resolve();
};

function runner(driver: DeviceDriver, clock: ManualClock, extra: Partial<DeviceRunnerOptions> = {}) {
  const delivered: Reading[][] = [];
  const log = memoryLogger();
  const r = new DeviceRunner({
    name: 'dev',
    driver,
    intervalMs: 1000,
    clock,
    log,
    openBackoffMs: (attempt) => 5000 * (attempt + 1),
    onReadings: (rs) => delivered.push([...rs]),
    ...extra,
  });
  return { r, delivered, log };
}

test('samples on its schedule and shows the last reading in status', async () => {
  const clock = new ManualClock();
  const d = new ScriptedDriver();
  d.steps = [1, 2];
  const { r, delivered } = runner(d, clock);
  r.start();
  await flush();
  assert.equal(r.status().state, 'running');
  clock.advance(1000);
  await flush();
  clock.advance(1000);
  await flush();
  assert.deepEqual(
    delivered.map((b) => b[0]?.v),
    [1, 2],
  );
  assert.equal(r.status().lastReading?.v, 2);
  assert.deepEqual(
    r.status().lastReadings?.map((x) => x.v),
    [2],
  );
  assert.equal(r.status().delivered, 2);
  assert.equal(r.status().errors, 0);
  await r.stop();
  assert.equal(d.closes, 1);
  assert.equal(clock.pendingTimers(), 0);
});

test('open failures are counted and retried with backoff; no samples until open', async () => {
  const clock = new ManualClock();
  const d = new ScriptedDriver();
  d.openFailures = [new Error('no such device'), new Error('still absent')];
  d.steps = [7];
  const { r, delivered } = runner(d, clock);
  r.start();
  await flush();
  assert.equal(r.status().state, 'backingOff');
  assert.equal(r.status().errors, 1);
  assert.match(r.status().lastError ?? '', /no such device/);
  clock.advance(4999); // ticks pass, nothing sampled
  await flush();
  assert.equal(d.opens, 1);
  assert.equal(delivered.length, 0);
  clock.advance(1); // first retry after 5 s fails, next after 10 s
  await flush();
  assert.equal(d.opens, 2);
  clock.advance(10_000);
  await flush();
  assert.equal(d.opens, 3);
  assert.equal(r.status().state, 'running');
  assert.equal(r.status().errors, 2);
  clock.advance(1000);
  await flush();
  assert.deepEqual(
    delivered.map((b) => b[0]?.v),
    [7],
  );
  await r.stop();
});

test('a hung open times out and is retried', async () => {
  const clock = new ManualClock();
  const d = new ScriptedDriver();
  d.openFailures = ['hang'];
  const { r } = runner(d, clock, { openTimeoutMs: 2000 });
  r.start();
  clock.advance(2000);
  await flush();
  assert.equal(r.status().lastErrorCode, 'DRIVER_TIMEOUT');
  assert.equal(d.closes, 1); // whatever the half-open driver held is released
  clock.advance(5000);
  await flush();
  assert.equal(r.status().state, 'running');
  await r.stop();
});

test('throwing, rejecting, hanging and garbage samples are counted; a healthy neighbour is unaffected', async () => {
  const clock = new ManualClock();
  const bad = new ScriptedDriver();
  bad.steps = ['throw-sync', new Error('i2c nack'), 'garbage', 'hang', 5];
  const good = new ScriptedDriver();
  good.steps = [1, 2, 3, 4, 5, 6, 7];
  const b = runner(bad, clock, { sampleTimeoutMs: 500, reopenAfterFailures: 10 });
  const g = runner(good, clock);
  b.r.start();
  g.r.start();
  await flush();
  const codes: (string | undefined)[] = [];
  for (let i = 0; i < 5; i++) {
    clock.advance(500);
    await flush();
    clock.advance(500);
    await flush();
    codes.push(b.r.status().lastErrorCode);
  }
  assert.equal(b.r.status().errors, 4);
  assert.deepEqual(codes, [
    undefined,
    undefined,
    'DRIVER_BAD_READING',
    'DRIVER_BAD_READING',
    'DRIVER_TIMEOUT',
  ]);
  assert.match(b.r.status().lastError ?? '', /did not finish within 500 ms/);
  assert.deepEqual(
    b.delivered.map((x) => x[0]?.v),
    [5],
  );
  assert.deepEqual(
    g.delivered.map((x) => x[0]?.v),
    [1, 2, 3, 4, 5],
  );
  assert.equal(g.r.status().errors, 0);
  // Repeats of one kind of failure are logged loudly once, then quietly.
  assert.equal(b.log.lines.filter((l) => l.level === 'warn').length, 4);
  await b.r.stop();
  await g.r.stop();
});

test('a driver that keeps failing is closed and reopened with backoff', async () => {
  const clock = new ManualClock();
  const d = new ScriptedDriver();
  d.steps = [new Error('e1'), new Error('e2'), new Error('e3'), 9];
  const { r, delivered } = runner(d, clock, { reopenAfterFailures: 3 });
  r.start();
  await flush();
  for (let i = 0; i < 3; i++) {
    clock.advance(1000);
    await flush();
  }
  assert.equal(d.closes, 1);
  assert.equal(r.status().state, 'backingOff');
  clock.advance(5000);
  await flush();
  assert.equal(d.opens, 2);
  assert.equal(r.status().state, 'running');
  clock.advance(1000);
  await flush();
  assert.deepEqual(
    delivered.map((b) => b[0]?.v),
    [9],
  );
  await r.stop();
});

test('deadband: only changes larger than the deadband are delivered; status still shows the newest value', async () => {
  const clock = new ManualClock();
  const d = new ScriptedDriver();
  d.steps = [20, 20.2, 20.4, 21, 21];
  const { r, delivered } = runner(d, clock, { deadband: 0.5 });
  r.start();
  await flush();
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    await flush();
  }
  assert.deepEqual(
    delivered.map((b) => b[0]?.v),
    [20, 21],
  );
  assert.equal(r.status().lastReading?.v, 21);
  assert.equal(r.status().delivered, 2);
  await r.stop();
});

test('event readings from the driver are delivered; garbage events are counted; faults are counted', async () => {
  const clock = new ManualClock();
  const d = new ScriptedDriver();
  const { r, delivered } = runner(d, clock, { intervalMs: undefined });
  r.start();
  await flush();
  d.ctx?.emit([makeReading(clock, 'door', true)]);
  d.ctx?.emit([{ n: 'door' }] as unknown as Reading[]);
  d.ctx?.fault(new Error('bad checksum'));
  assert.deepEqual(
    delivered.map((b) => b[0]?.vb),
    [true],
  );
  assert.equal(r.status().errors, 2);
  const ctx = d.ctx;
  await r.stop();
  ctx?.emit([makeReading(clock, 'door', false)]); // after stop: ignored
  assert.equal(delivered.length, 1);
});

test('actuate: delivers the new state past the deadband; failures reject and are counted', async () => {
  const clock = new ManualClock();
  const d = new ScriptedActuator();
  const { r, delivered } = runner(d, clock, { intervalMs: undefined, deadband: 0 });
  await assert.rejects(
    r.actuate(true),
    (e: unknown) => e instanceof AgentError && e.code === 'DRIVER_NOT_OPEN',
  );
  r.start();
  await flush();
  assert.ok(r.isActuator);
  assert.equal((await r.actuate(true))[0]?.vb, true);
  assert.equal((await r.actuate(true))[0]?.vb, true); // the same state again is still reported
  assert.equal(delivered.length, 2);
  d.fail = true;
  await assert.rejects(r.actuate(false), /relay stuck/);
  assert.equal(r.status().errors, 1);
  await r.stop();

  const sensor = runner(new ScriptedDriver(), clock, { intervalMs: undefined });
  sensor.r.start();
  await flush();
  assert.equal(sensor.r.isActuator, false);
  await assert.rejects(
    sensor.r.actuate(1),
    (e: unknown) => e instanceof AgentError && e.code === 'DRIVER_NOT_ACTUATOR',
  );
  await sensor.r.stop();
});

test('stop while opening closes the driver once the open finishes; a failing consumer is only logged', async () => {
  const clock = new ManualClock();
  let release: () => void = () => undefined;
  const slow: DeviceDriver = {
    open: () =>
      new Promise<void>((res) => {
        release = res;
      }),
    close: () => {
      closed++;
      return Promise.resolve();
    },
  };
  let closed = 0;
  const { r } = runner(slow, clock);
  r.start();
  await r.stop();
  release();
  await flush();
  assert.equal(closed, 1);
  assert.equal(r.status().state, 'stopped');

  const d = new ScriptedDriver();
  d.steps = [1];
  const log = memoryLogger();
  const r2 = new DeviceRunner({
    name: 'x',
    driver: d,
    intervalMs: 1000,
    clock,
    log,
    onReadings: () => {
      throw new Error('outbox full');
    },
  });
  r2.start();
  await flush();
  clock.advance(1000);
  await flush();
  assert.ok(log.lines.some((l) => l.level === 'error' && l.msg === 'reading consumer failed'));
  assert.equal(r2.status().state, 'running');
  await r2.stop();
});

test('default open backoff: 1 s doubling to 5 min with ±20 % jitter', () => {
  assert.equal(
    driverOpenBackoffMs(0, () => 0.5),
    1000,
  );
  assert.equal(
    driverOpenBackoffMs(3, () => 0.5),
    8000,
  );
  assert.equal(
    driverOpenBackoffMs(30, () => 0.5),
    300_000,
  );
  assert.equal(
    driverOpenBackoffMs(0, () => 0),
    800,
  );
  assert.equal(
    driverOpenBackoffMs(0, () => 0.999999),
    1200,
  );
});

test('a driver created at start that cannot be created: start throws, status counts it, commands say why', async () => {
  const clock = new ManualClock();
  const r = new DeviceRunner({
    name: 'relay',
    kind: 'actuator',
    driver: () => {
      throw new AgentError('DRIVER_PARAMS', 'params.gpio: must be an integer', {
        hint: 'fix the device file',
      });
    },
    intervalMs: 1000,
    clock,
  });
  assert.equal(r.kind, 'actuator');
  assert.throws(() => {
    r.start(() => undefined);
  }, /params\.gpio/);
  const s = r.status();
  assert.equal(s.errors, 1);
  assert.equal(s.lastErrorCode, 'DRIVER_PARAMS');
  assert.match(s.lastError ?? '', /params\.gpio/);
  await assert.rejects(r.actuate(true), /device relay is not running: .*params\.gpio/);
  clock.advance(5000);
  await flush();
  assert.equal(r.status().delivered, 0, 'no schedule runs for a device that never started');
  await r.stop();
  assert.equal(r.status().state, 'stopped');
});

test('the kind defaults to what the driver can do; readings go to the consumer given to start', async () => {
  const clock = new ManualClock();
  const driver = new ScriptedDriver();
  driver.steps = [7];
  const r = new DeviceRunner({ name: 'dev', driver, intervalMs: 1000, clock });
  assert.equal(r.kind, 'sensor');
  assert.equal(new DeviceRunner({ name: 'sw', driver: new ScriptedActuator(), clock }).kind, 'actuator');
  const got: Reading[] = [];
  r.start((rs) => got.push(...rs));
  await flush();
  clock.advance(1000);
  await flush();
  assert.deepEqual(
    got.map((x) => x.v),
    [7],
  );
  await r.stop();
});
