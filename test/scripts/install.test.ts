/**
 * scripts/install.sh, uninstall.sh and pack.sh, run for real into temporary roots. The package they
 * install is a small fake one (a stub dist/ and config) built around the real scripts, unit and
 * package.json, so these tests need neither a build nor the network (`--skip-npm`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/dist\/$/, '/');
const SCRIPTS = ['install.sh', 'uninstall.sh', 'pack.sh'];

/** A package tree laid out like the repo after `npm run build`. */
function fakePackage(dir: string, version = 'v1'): string {
  const pkg = join(dir, 'pkg');
  mkdirSync(join(pkg, 'scripts'), { recursive: true });
  for (const s of SCRIPTS) copyFileSync(join(REPO, 'scripts', s), join(pkg, 'scripts', s));
  cpSync(join(REPO, 'systemd'), join(pkg, 'systemd'), { recursive: true, dereference: true });
  copyFileSync(join(REPO, 'package.json'), join(pkg, 'package.json'));
  writeMain(pkg, version);
  mkdirSync(join(pkg, 'config'));
  writeFileSync(join(pkg, 'config', 'example.json'), '{ "example": true }\n');
  for (const d of ['devices', 'schema']) {
    mkdirSync(join(pkg, d));
    writeFileSync(join(pkg, d, `${d}.json`), '{}\n');
  }
  return pkg;
}

function writeMain(pkg: string, version: string): void {
  mkdirSync(join(pkg, 'dist', 'src', 'cli'), { recursive: true });
  writeFileSync(join(pkg, 'dist', 'src', 'cli', 'main.js'), `console.log(${JSON.stringify(version)});\n`);
}

function run(script: string, args: readonly string[]): { status: number | null; out: string } {
  const res = spawnSync('bash', [script, ...args], { encoding: 'utf8' });
  return { status: res.status, out: res.stdout + res.stderr };
}

function withTmp(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'm2m-'));
  t.after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

const read = (p: string): string => readFileSync(p, 'utf8');

test('the scripts parse (bash -n) and are executable', () => {
  for (const s of SCRIPTS) {
    const path = join(REPO, 'scripts', s);
    const res = spawnSync('bash', ['-n', path], { encoding: 'utf8' });
    assert.equal(res.status, 0, `${s}: ${res.stderr}`);
    assert.ok((statSync(path).mode & 0o111) !== 0, `${s} is not executable`);
  }
});

test('install --root: files in place; a second run upgrades and keeps config and state', (t) => {
  const tmp = withTmp(t);
  const pkg = fakePackage(tmp, 'v1');
  const root = join(tmp, 'root');
  const first = run(join(pkg, 'scripts', 'install.sh'), ['--root', root, '--skip-npm']);
  assert.equal(first.status, 0, first.out);
  assert.match(first.out, /would run \(skipped under --root\): useradd --system/);
  assert.match(first.out, /would run \(skipped under --root\): groupadd --system gpio/);
  assert.match(first.out, /Next steps/);

  const opt = join(root, 'opt', 'm2m-agent');
  assert.equal(read(join(opt, 'dist', 'src', 'cli', 'main.js')), 'console.log("v1");\n');
  for (const f of [
    'devices/devices.json',
    'schema/schema.json',
    'config/example.json',
    'scripts/uninstall.sh',
  ]) {
    assert.ok(existsSync(join(opt, f)), f);
  }
  const installedPkg = JSON.parse(read(join(opt, 'package.json'))) as {
    name: string;
    scripts: Record<string, string>;
  };
  assert.equal(installedPkg.name, 'm2m-agent');
  assert.equal(installedPkg.scripts['prepare'], undefined, 'prepare (tsc) would break npm ci --omit=dev');

  const wrapper = join(opt, 'bin', 'm2m-agent');
  assert.equal(statSync(wrapper).mode & 0o777, 0o755);
  assert.match(read(wrapper), /^#!\/bin\/sh\n/);
  assert.match(read(wrapper), /exec "\$NODE" "\/opt\/m2m-agent\/dist\/src\/cli\/main\.js" "\$@"/);

  const unit = join(root, 'etc', 'systemd', 'system', 'm2m-agent.service');
  assert.equal(read(unit), read(join(REPO, 'systemd', 'm2m-agent.service')));
  const etc = join(root, 'etc', 'm2m-agent');
  assert.equal(read(join(etc, 'config.json')), '{ "example": true }\n');
  assert.ok(statSync(join(etc, 'devices')).isDirectory());
  assert.ok(existsSync(join(etc, 'm2m-agent.env.example')));
  const state = join(root, 'var', 'lib', 'm2m-agent');
  assert.ok(statSync(state).isDirectory());

  // The operator edits the config, the agent writes state; then a new version is installed.
  writeFileSync(join(etc, 'config.json'), '{ "edited": 1 }\n');
  writeFileSync(join(state, 'outbox.log'), 'pending readings\n');
  writeFileSync(join(opt, 'dist', 'src', 'stale-from-v1.js'), '');
  writeMain(pkg, 'v2');
  const second = run(join(pkg, 'scripts', 'install.sh'), ['--root', root, '--skip-npm']);
  assert.equal(second.status, 0, second.out);
  assert.match(second.out, /upgraded in place/);
  assert.match(second.out, /keeping the existing .*config\.json/);

  assert.equal(read(join(opt, 'dist', 'src', 'cli', 'main.js')), 'console.log("v2");\n');
  assert.ok(!existsSync(join(opt, 'dist', 'src', 'stale-from-v1.js')), 'old code is replaced, not merged');
  assert.equal(read(join(etc, 'config.json')), '{ "edited": 1 }\n');
  assert.equal(read(join(state, 'outbox.log')), 'pending readings\n');
  assert.deepEqual(readdirSync(join(root, 'opt')), ['m2m-agent'], 'no staging leftovers');
  assert.equal(statSync(wrapper).mode & 0o777, 0o755);
});

test('install --prefix rewrites the unit and wrapper; systemd-analyze verify accepts the installed unit', (t) => {
  const tmp = withTmp(t);
  const pkg = fakePackage(tmp);
  const root = join(tmp, 'root');
  const res = run(join(pkg, 'scripts', 'install.sh'), [
    '--root',
    root,
    '--prefix',
    '/srv/agent',
    '--skip-npm',
  ]);
  assert.equal(res.status, 0, res.out);
  const unitText = read(join(root, 'etc', 'systemd', 'system', 'm2m-agent.service'));
  assert.match(unitText, /^ExecStart=\/srv\/agent\/bin\/m2m-agent run$/m);
  assert.doesNotMatch(unitText, /\/opt\/m2m-agent/);
  assert.match(
    read(join(root, 'srv', 'agent', 'bin', 'm2m-agent')),
    /"\/srv\/agent\/dist\/src\/cli\/main\.js"/,
  );

  if (spawnSync('systemd-analyze', ['--version']).error) {
    t.diagnostic('systemd-analyze is not installed: verify step skipped');
    return;
  }
  // Point ExecStart at the wrapper inside the temporary root, so verify checks the real file.
  const check = join(tmp, 'check');
  mkdirSync(check);
  writeFileSync(
    join(check, 'm2m-agent.service'),
    unitText.replace('/srv/agent/bin/', `${root}/srv/agent/bin/`),
  );
  const verify = spawnSync('systemd-analyze', ['verify', '--man=false', join(check, 'm2m-agent.service')], {
    encoding: 'utf8',
  });
  assert.equal(verify.status, 0, verify.stderr);
  assert.equal((verify.stdout + verify.stderr).trim(), '');
});

test('install fails clearly when dist/ was not built, and installs nothing', (t) => {
  const tmp = withTmp(t);
  const pkg = fakePackage(tmp);
  rmSync(join(pkg, 'dist'), { recursive: true });
  const root = join(tmp, 'root');
  const res = run(join(pkg, 'scripts', 'install.sh'), ['--root', root, '--skip-npm']);
  assert.notEqual(res.status, 0);
  assert.match(res.out, /dist\/src\/cli\/main\.js is missing: run 'npm run build' first/);
  assert.ok(!existsSync(join(root, 'opt')));
  assert.ok(!existsSync(join(root, 'etc')));
});

test('install rejects unknown options and a relative prefix', (t) => {
  const tmp = withTmp(t);
  const pkg = fakePackage(tmp);
  const script = join(pkg, 'scripts', 'install.sh');
  assert.equal(run(script, ['--bogus']).status, 2);
  const rel = run(script, ['--root', join(tmp, 'r'), '--prefix', 'opt/x', '--skip-npm']);
  assert.notEqual(rel.status, 0);
  assert.match(rel.out, /--prefix must be an absolute path/);
});

test('uninstall keeps config and state unless --purge', (t) => {
  const tmp = withTmp(t);
  const pkg = fakePackage(tmp);
  const root = join(tmp, 'root');
  assert.equal(run(join(pkg, 'scripts', 'install.sh'), ['--root', root, '--skip-npm']).status, 0);
  writeFileSync(join(root, 'var', 'lib', 'm2m-agent', 'identity.json'), '{}');
  const uninstall = join(root, 'opt', 'm2m-agent', 'scripts', 'uninstall.sh');
  // Run the copy that install.sh put on the board: it deletes its own directory.
  const copy = join(tmp, 'uninstall.sh');
  copyFileSync(uninstall, copy);
  chmodSync(copy, 0o755);

  const res = run(copy, ['--root', root]);
  assert.equal(res.status, 0, res.out);
  assert.ok(!existsSync(join(root, 'opt', 'm2m-agent')));
  assert.ok(!existsSync(join(root, 'etc', 'systemd', 'system', 'm2m-agent.service')));
  assert.ok(existsSync(join(root, 'etc', 'm2m-agent', 'config.json')));
  assert.ok(existsSync(join(root, 'var', 'lib', 'm2m-agent', 'identity.json')));
  assert.match(res.out, /kept .*etc\/m2m-agent/);

  const purge = run(copy, ['--root', root, '--purge']);
  assert.equal(purge.status, 0, purge.out);
  assert.ok(!existsSync(join(root, 'etc', 'm2m-agent')));
  assert.ok(!existsSync(join(root, 'var', 'lib', 'm2m-agent')));
  assert.match(purge.out, /would run \(skipped under --root\): userdel m2m-agent/);
  assert.notEqual(run(copy, ['--root', root, '--prefix', '/opt']).status, 0, 'refuses to remove /opt');
});

test('pack.sh makes a tarball with only what a board needs, and install.sh runs from it', (t) => {
  const tmp = withTmp(t);
  const pkg = fakePackage(tmp);
  // Things a board does not need, which must stay out.
  mkdirSync(join(pkg, 'src'));
  writeFileSync(join(pkg, 'src', 'main.ts'), '');
  mkdirSync(join(pkg, 'dist', 'test'), { recursive: true });
  writeFileSync(join(pkg, 'dist', 'test', 'x.test.js'), '');
  const out = join(tmp, 'out');
  const res = run(join(pkg, 'scripts', 'pack.sh'), ['--no-build', '--out', out]);
  assert.equal(res.status, 0, res.out);
  assert.match(res.out, /size: [\d.]+ KiB packed/);
  const tgz = readdirSync(out).find((f) => f.endsWith('.tgz'));
  assert.ok(tgz, res.out);

  const list = spawnSync('tar', ['tzf', join(out, tgz)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  for (const want of [
    'package/dist/src/cli/main.js',
    'package/scripts/install.sh',
    'package/scripts/uninstall.sh',
    'package/systemd/m2m-agent.service',
    'package/config/example.json',
    'package/devices/devices.json',
    'package/package.json',
  ]) {
    assert.ok(list.includes(want), `${want} missing from ${list.join(', ')}`);
  }
  assert.deepEqual(
    list.filter((f) => /^package\/(src|test|dist\/test|node_modules)\//.test(f) || f.endsWith('pack.sh')),
    [],
  );

  const unpacked = join(tmp, 'unpacked');
  mkdirSync(unpacked);
  assert.equal(spawnSync('tar', ['xzf', join(out, tgz), '-C', unpacked]).status, 0);
  const root = join(tmp, 'root');
  const inst = run(join(unpacked, 'package', 'scripts', 'install.sh'), ['--root', root, '--skip-npm']);
  assert.equal(inst.status, 0, inst.out);
  assert.ok(existsSync(join(root, 'opt', 'm2m-agent', 'dist', 'src', 'cli', 'main.js')));
});
