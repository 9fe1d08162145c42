import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/dist\/$/, '/');
const UNIT = join(REPO, 'systemd', 'm2m-agent.service');
const MAX_EXPOSURE = 2.0;

function analyzeMissing(): string | undefined {
  const probe = spawnSync('systemd-analyze', ['--version'], { encoding: 'utf8' });
  return probe.error
    ? 'systemd-analyze is not installed (scripts/setup-test-deps.sh installs it)'
    : undefined;
}

/** `[Section]` -> key -> every value (keys like DeviceAllow repeat). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>();
  let current: Map<string, string[]> | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      current = new Map();
      sections.set(sec[1]!, current);
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(current && eq > 0, `unparsable unit line: ${line}`);
    const key = line.slice(0, eq);
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1)]);
  }
  return sections;
}

/** A copy of the unit whose ExecStart points at an executable that exists here. */
function unitWithExistingExec(dir: string, text = readFileSync(UNIT, 'utf8')): string {
  const exe = join(dir, 'm2m-agent');
  writeFileSync(exe, '#!/bin/sh\nexit 0\n');
  chmodSync(exe, 0o755);
  const path = join(dir, 'm2m-agent.service');
  writeFileSync(path, text.replace(/^ExecStart=\S+/m, `ExecStart=${exe}`));
  return path;
}

test('the unit sets what the agent relies on, and never MemoryDenyWriteExecute', () => {
  const unit = parseUnit(readFileSync(UNIT, 'utf8'));
  const svc = unit.get('Service');
  assert.ok(svc);
  const one = (k: string): string | undefined => svc.get(k)?.at(-1);
  assert.equal(one('Type'), 'notify');
  assert.equal(one('NotifyAccess'), 'all', 'systemd-notify runs as a child process');
  assert.equal(one('ExecStart'), '/opt/m2m-agent/bin/m2m-agent run');
  assert.equal(one('Restart'), 'on-failure');
  assert.match(one('WatchdogSec') ?? '', /^\d+$/);
  assert.ok(Number(one('TimeoutStopSec')) > 0);
  assert.equal(one('StateDirectory'), 'm2m-agent');
  assert.equal(one('ConfigurationDirectory'), 'm2m-agent');
  assert.equal(one('User'), 'm2m-agent');
  assert.equal(one('SupplementaryGroups'), 'gpio dialout');
  assert.equal(one('CapabilityBoundingSet'), '');
  assert.equal(one('ProtectSystem'), 'strict');
  assert.equal(one('DevicePolicy'), 'closed');
  assert.equal(one('RestrictAddressFamilies'), 'AF_UNIX AF_INET AF_INET6');
  assert.ok(svc.get('SystemCallFilter')?.includes('@system-service'));
  assert.deepEqual((svc.get('DeviceAllow') ?? []).map((v) => v.split(' ')[0]).sort(), [
    'char-gpiochip',
    'char-ttyACM',
    'char-ttyAMA',
    'char-ttyS',
    'char-ttyUSB',
  ]);
  // onoff writes /sys/class/gpio, which ProtectKernelTunables would make read-only.
  if (one('ProtectKernelTunables') === 'yes') {
    assert.ok((svc.get('ReadWritePaths') ?? []).join(' ').includes('/sys/class/gpio'));
  }
  // V8's JIT needs writable+executable memory.
  assert.notEqual(one('MemoryDenyWriteExecute'), 'yes');
  assert.ok(unit.get('Unit')?.get('StartLimitBurst'));
  assert.deepEqual(unit.get('Install')?.get('WantedBy'), ['multi-user.target']);
});

test(`systemd-analyze security: exposure <= ${MAX_EXPOSURE}`, (t) => {
  const skip = analyzeMissing();
  if (skip) {
    t.skip(skip);
    return;
  }
  const res = spawnSync('systemd-analyze', ['security', '--offline=true', '--no-pager', UNIT], {
    encoding: 'utf8',
  });
  const out = res.stdout + res.stderr;
  const m = /Overall exposure level for m2m-agent\.service: (\d+(?:\.\d+)?)/.exec(out);
  assert.ok(m, `no exposure line in:\n${out}`);
  const exposure = Number(m[1]);
  t.diagnostic(`exposure ${exposure}`);
  assert.ok(exposure <= MAX_EXPOSURE, `exposure ${exposure} > ${MAX_EXPOSURE}:\n${out}`);
  assert.match(out, /✗ MemoryDenyWriteExecute=/, 'MemoryDenyWriteExecute must stay off');
});

test('systemd-analyze verify is clean (ExecStart pointed at an existing file)', (t) => {
  const skip = analyzeMissing();
  if (skip) {
    t.skip(skip);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'm2m-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const res = spawnSync('systemd-analyze', ['verify', '--man=false', unitWithExistingExec(dir)], {
    encoding: 'utf8',
  });
  t.diagnostic(`verify output: ${JSON.stringify(res.stdout + res.stderr)}`);
  assert.equal(res.status, 0, res.stderr);
  assert.equal((res.stdout + res.stderr).trim(), '');

  // The unchanged unit differs only in the missing binary (unless the agent is installed here).
  if (!existsSync('/opt/m2m-agent/bin/m2m-agent')) {
    const orig = spawnSync('systemd-analyze', ['verify', '--man=false', UNIT], { encoding: 'utf8' });
    const lines = (orig.stdout + orig.stderr).trim().split('\n');
    assert.deepEqual(lines.length, 1, lines.join('\n'));
    assert.match(lines[0]!, /\/opt\/m2m-agent\/bin\/m2m-agent is not executable/);
  }
});

test('systemd-analyze verify catches a broken unit (the check is real)', (t) => {
  const skip = analyzeMissing();
  if (skip) {
    t.skip(skip);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'm2m-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const broken = readFileSync(UNIT, 'utf8').replace('NoNewPrivileges=yes', 'NoNewPriviliges=yes');
  const res = spawnSync('systemd-analyze', ['verify', '--man=false', unitWithExistingExec(dir, broken)], {
    encoding: 'utf8',
  });
  assert.match(res.stdout + res.stderr, /Unknown key.*'NoNewPriviliges'/);
});
