import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ParamReader } from '../../src/drivers/params.js';
import { DriverParamsError } from '../../src/drivers/errors.js';

const badParam = (path: string) => (e: unknown) =>
  e instanceof DriverParamsError && e.code === 'DRIVER_BAD_PARAMS' && e.path === path;

test('getters return values or defaults', () => {
  const p = new ParamReader({
    gpio: 17,
    edge: 'rising',
    on: true,
    name: 'x',
    units: { t: 'Cel' },
    initial: true,
  });
  assert.equal(p.integer('gpio', undefined, { min: 0, max: 57 }), 17);
  assert.equal(p.oneOf('edge', ['rising', 'falling', 'both'], 'both'), 'rising');
  assert.equal(p.oneOf('missing', ['a', 'b'], 'b'), 'b');
  assert.equal(p.boolean('on', false), true);
  assert.equal(p.string('name'), 'x');
  assert.equal(p.optionalString('nope'), undefined);
  assert.deepEqual(p.stringMap('units'), { t: 'Cel' });
  assert.equal(p.level('initial', 0), 1);
  assert.equal(p.number('rate', 2.5), 2.5);
});

test('errors name the key path', () => {
  const p = new ParamReader({
    gpio: 99,
    edge: 'up',
    on: 'yes',
    name: '',
    units: { t: 1 },
    x: 1.5,
    initial: 2,
  });
  assert.throws(() => p.integer('gpio', undefined, { max: 57 }), badParam('params.gpio'));
  assert.throws(() => p.integer('x'), badParam('params.x'));
  assert.throws(() => p.integer('absent'), badParam('params.absent'));
  assert.throws(() => p.oneOf('edge', ['rising']), badParam('params.edge'));
  assert.throws(() => p.boolean('on', false), badParam('params.on'));
  assert.throws(() => p.string('name'), badParam('params.name'));
  assert.throws(() => p.stringMap('units'), badParam('params.units.t'));
  assert.throws(() => p.level('initial', 0), badParam('params.initial'));
});
