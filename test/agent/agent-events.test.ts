import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AgentEvents } from '../../src/agent/agent-events.js';

test('each notice reaches its listeners, in the order they were added, and no others', () => {
  const events = new AgentEvents();
  const got: string[] = [];
  events.emit('statusChanged'); // no listener yet: nothing happens
  events.on('statusChanged', () => got.push('status 1'));
  events.on('statusChanged', () => got.push('status 2'));
  events.on('registrarActive', () => got.push('active'));
  events.emit('statusChanged');
  events.emit('resourcesLost');
  events.emit('registrarActive');
  assert.deepEqual(got, ['status 1', 'status 2', 'active']);
});
