import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { loadDeviceModels } from '../../src/config/models.js';
import { validateConfig } from '../../src/config/validate.js';
import { COMPAT_PRESETS } from '../../src/config/compat.js';
import { makeTestPki } from '../helpers/tls.js';

const { models } = loadDeviceModels([join(import.meta.dirname, '..', 'fixtures', 'config', 'devices')]);
const minimal = { registrar: { url: 'ws://127.0.0.1:8080/' }, node: { name: 'gw' } };
const withKeys = (extra: Record<string, unknown>): Record<string, unknown> => ({ ...minimal, ...extra });
const issuesOf = (raw: unknown) => validateConfig(raw, models, { unreadable: () => undefined }).issues;

test('a deliberately broken config reports every problem at once, each with its key path', () => {
  const broken = {
    registrar: {
      url: 'wss://in-cse.example.net:8443/',
      cseId: 'id-in',
      tls: { ca: '/etc/m2m-agent/missing-ca.pem', cert: '/etc/m2m-agent/client.pem' },
      compat: { preset: 'acmee', maxInFlight: 0 },
    },
    node: { nmae: 'gw', appId: 'Xapp', originator: 'Dgw' },
    serializations: ['cbor', 'oneM2M.R2.0.json', 'json', 'yaml'],
    releaseVersion: 3,
    schedule: ['* * * * * * *', '* * 25 * * * *'],
    buffer: { maxByte: 5, maxAgeSeconds: 0 },
    link: { backoffFloorMs: 5000, backoffCapMs: 1000 },
    contentFormat: 'senml',
    logLevel: 'verbose',
    devices: [
      { name: 'door', model: 'reed-switch', params: { gpio: 17 } },
      { name: 'door', model: 'relay', params: { gpio: 17 }, sample: '* * * * * * *' },
      { name: '-bad', model: 'ds18b2', eventCategory: 'urgent' },
      { name: 'air', model: 'pms5003', params: { path: '/dev/serial0', baud: 1 } },
      { name: 'air2', model: 'pms5003', sample: '61 * * * * *' },
      { name: 'temp', model: 'ds18b20', params: {} },
    ],
    extra: true,
  };
  const { config, issues } = validateConfig(broken, models, {
    unreadable: (p) => (p.includes('missing') ? 'ENOENT' : undefined),
  });
  assert.equal(config, undefined);
  assert.deepEqual(
    new Set(issues.map((i) => i.path)),
    new Set([
      'registrar.cseId',
      'registrar.tls.ca',
      'registrar.tls.key',
      'registrar.compat.preset',
      'registrar.compat.maxInFlight',
      'node.name',
      'node.nmae',
      'node.appId',
      'node.originator',
      'serializations[2]',
      'serializations[3]',
      'releaseVersion',
      'schedule[1]',
      'buffer.maxByte',
      'buffer.maxAgeSeconds',
      'link.backoffCapMs',
      'contentFormat',
      'logLevel',
      'devices[1].name',
      'devices[1].sample',
      'devices[1].params.gpio',
      'devices[2].name',
      'devices[2].model',
      'devices[2].eventCategory',
      'devices[3].params.baud',
      'devices[4].sample',
      'devices[4].params.path',
      'devices[5].params.sensorId',
      'extra',
    ]),
  );
  const by = (p: string) => issues.find((i) => i.path === p);
  assert.equal(by('schedule[1]')?.message, 'field hour: 25 is outside 0-23');
  assert.equal(by('devices[1].params.gpio')?.message, 'pin 17 is already used by devices[0]');
  assert.equal(by('devices[4].params.path')?.message, '/dev/serial0 is already used by devices[3]');
  assert.equal(by('devices[1].name')?.message, '"door" is already used by devices[0]');
  assert.equal(by('buffer.maxByte')?.hint, 'did you mean "maxBytes"?');
  assert.equal(by('node.nmae')?.hint, 'did you mean "name"?');
  assert.equal(by('devices[3].params.baud')?.hint, 'did you mean "baudRate"?');
  assert.match(
    by('devices[2].model')?.hint ?? '',
    /did you mean "ds18b20"\? known models: ds18b20, pms5003, reed-switch, relay, sim/,
  );
  assert.match(by('registrar.tls.ca')?.message ?? '', /cannot read \/etc\/m2m-agent\/missing-ca.pem: ENOENT/);
  assert.match(by('serializations[2]')?.message ?? '', /means json, already listed at serializations\[1\]/);
  assert.equal(by('devices[5].params.sensorId')?.message, 'missing required key');
  for (const issue of issues) assert.ok(issue.hint, `${issue.path} has a hint`);
});

test('missing required keys and non-object input', () => {
  assert.deepEqual(
    issuesOf({}).map((i) => i.path),
    ['registrar.url', 'node.name'],
  );
  assert.deepEqual(
    issuesOf({ registrar: {}, node: {} }).map((i) => i.path),
    ['registrar.url', 'node.name'],
  );
  assert.deepEqual(
    issuesOf([]).map((i) => i.message),
    ['expected an object, got an array'],
  );
  assert.equal(issuesOf(null).length, 1);
});

test('defaults are filled in', () => {
  const { config, issues } = validateConfig(minimal, models, { source: 'test.json' });
  assert.deepEqual(issues, []);
  assert.ok(config);
  assert.deepEqual(config.registrar, {
    url: 'ws://127.0.0.1:8080/',
    cseId: '/id-in',
    cseName: 'cse-in',
    compatPreset: 'standard',
    compat: COMPAT_PRESETS.standard,
  });
  assert.deepEqual(config.node, { role: 'adn', name: 'gw', appId: 'Nm2m-agent' });
  assert.deepEqual(config.serializations, ['cbor', 'json']);
  assert.equal(config.releaseVersion, '3');
  assert.equal(config.stateDir, '/var/lib/m2m-agent');
  assert.equal(config.schedule, undefined);
  assert.deepEqual(config.buffer, {
    maxBytes: 64 * 1024 * 1024,
    maxAgeSeconds: 7 * 86400,
    fsyncIntervalMs: 1000,
    idempotentNames: false,
  });
  assert.deepEqual(config.link, {
    compression: true,
    pingIntervalSeconds: 30,
    pongTimeoutSeconds: 10,
    requestTimeoutSeconds: 30,
    closeGraceSeconds: 10,
    idleCloseSeconds: 0,
    backoffFloorMs: 1000,
    backoffCapMs: 300_000,
  });
  assert.deepEqual(config.trustedOriginators, []);
  assert.equal(config.contentFormat, 'senml+json');
  assert.equal(config.logLevel, 'info');
  assert.equal(config.metrics, undefined);
  assert.deepEqual(config.devices, []);
  assert.equal(config.source, 'test.json');
});

test('compat: a preset name, or a preset with single switches overridden', () => {
  const compat = (c: unknown) =>
    validateConfig(withKeys({ registrar: { ...minimal.registrar, compat: c } }), models);
  assert.deepEqual(compat('acme').config?.registrar.compat, {
    subprotocolOffer: 'cbor-alone',
    originHeader: true,
    sendCsz: true,
    poa: ['ws://default'],
    maxInFlight: 1,
    minFrameGapMs: 100,
    notificationsOverLink: true,
    pollCommandsSeconds: 10,
  });
  const merged = compat({ preset: 'acme', maxInFlight: 2, poa: [] }).config?.registrar;
  assert.equal(merged?.compatPreset, 'acme');
  assert.deepEqual(merged?.compat, { ...COMPAT_PRESETS.acme, maxInFlight: 2, poa: [] });
  const noPreset = compat({ notificationsOverLink: false, pollCommandsSeconds: 30 }).config?.registrar;
  assert.equal(noPreset?.compatPreset, 'standard');
  assert.deepEqual(noPreset?.compat, {
    ...COMPAT_PRESETS.standard,
    notificationsOverLink: false,
    pollCommandsSeconds: 30,
  });
  assert.deepEqual(compat('mobius').config?.registrar.compat, {
    subprotocolOffer: 'legacy-json-first',
    originHeader: false,
    sendCsz: false,
    poa: [],
    maxInFlight: 8,
    minFrameGapMs: 0,
    notificationsOverLink: false,
    pollCommandsSeconds: 10,
  });
  assert.deepEqual(
    compat('acmee').issues.map((i) => [i.path, i.hint]),
    [['registrar.compat', 'did you mean "acme"?']],
  );
  assert.deepEqual(
    compat({ preset: 'acme', maxInflight: 1 }).issues.map((i) => [i.path, i.hint]),
    [['registrar.compat.maxInflight', 'did you mean "maxInFlight"?']],
  );
  assert.deepEqual(
    compat(5).issues.map((i) => i.message),
    ['expected a string or an object, got a number (5)'],
  );
  const mobiusCbor = validateConfig(
    withKeys({ registrar: { ...minimal.registrar, compat: 'mobius' }, serializations: ['cbor'] }),
    models,
  );
  assert.deepEqual(
    mobiusCbor.issues.map((i) => i.path),
    ['serializations'],
  );
});

test('identity and protocol keys: originator, appId, role, serializations, URL', () => {
  const node = (n: Record<string, unknown>) =>
    issuesOf(withKeys({ node: { name: 'gw', ...n } })).map((i) => i.path);
  for (const originator of ['C', 'S', 'Cgw-1', 'Sgw_1'])
    assert.deepEqual(node({ originator }), [], originator);
  for (const originator of ['gw', 'Dgw', 'C gw', ''])
    assert.deepEqual(node({ originator }), ['node.originator'], originator);
  for (const appId of ['Nm2m', 'Rabc', 'rabc']) assert.deepEqual(node({ appId }), [], appId);
  for (const appId of ['m2m', 'N a']) assert.deepEqual(node({ appId }), ['node.appId'], appId);
  assert.deepEqual(node({ role: 'asn' }), ['node.cseId']);
  assert.deepEqual(node({ role: 'asn', cseId: '/id-gw' }), []);
  const ser = validateConfig(
    withKeys({ serializations: ['oneM2M.R2.0.json', 'oneM2M.cbor', 'xml'] }),
    models,
  );
  assert.deepEqual(ser.config?.serializations, ['json', 'cbor', 'xml']);
  for (const releaseVersion of ['2a', '3', '4', '5'])
    assert.deepEqual(issuesOf(withKeys({ releaseVersion })), []);
  assert.deepEqual(
    issuesOf(withKeys({ releaseVersion: '6' })).map((i) => i.path),
    ['releaseVersion'],
  );
  const url = (u: string) => issuesOf(withKeys({ registrar: { url: u } })).map((i) => i.message);
  assert.deepEqual(url('ws://h/'), []);
  assert.deepEqual(url('wss://h:8443/ws'), []);
  assert.match(url('http://h/')[0] ?? '', /not a WebSocket URL/);
  assert.match(url('not a url')[0] ?? '', /not a valid URL/);
  assert.deepEqual(
    issuesOf(withKeys({ registrar: { url: 'ws://h/', proxy: 'ftp://p' } })).map((i) => i.path),
    ['registrar.proxy'],
  );
});

test('wss TLS files must be readable; relative paths resolve against the config directory', (t) => {
  const dir = fs.mkdtempSync(os.tmpdir() + '/m2m-');
  t.after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const pki = makeTestPki();
  fs.writeFileSync(join(dir, 'ca.pem'), pki.ca);
  const raw = withKeys({
    registrar: { url: 'wss://h/', tls: { ca: 'ca.pem', cert: 'client.pem', key: 'client.key' } },
    stateDir: 'state',
    metrics: { textfile: 'm.prom' },
  });
  const { issues } = validateConfig(raw, models, { baseDir: dir });
  assert.deepEqual(
    issues.map((i) => i.path),
    ['registrar.tls.cert', 'registrar.tls.key'],
  );
  assert.match(issues[0]?.message ?? '', /cannot read .*client\.pem: ENOENT/);
  fs.writeFileSync(join(dir, 'client.pem'), pki.clientCert);
  fs.writeFileSync(join(dir, 'client.key'), pki.clientKey);
  const ok = validateConfig(raw, models, { baseDir: dir });
  assert.deepEqual(ok.issues, []);
  assert.deepEqual(ok.config?.registrar.tls, {
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'client.pem'),
    key: join(dir, 'client.key'),
  });
  assert.equal(ok.config?.stateDir, join(dir, 'state'));
  assert.equal(ok.config?.metrics?.textfile, join(dir, 'm.prom'));
  // A directory is not a PEM file; with ws: the files are not used, so not checked.
  const asDir = validateConfig(withKeys({ registrar: { url: 'wss://h/', tls: { ca: dir } } }), models);
  assert.match(asDir.issues[0]?.message ?? '', /not a regular file/);
  assert.deepEqual(
    validateConfig(withKeys({ registrar: { url: 'ws://h/', tls: { ca: '/nope' } } }), models).issues,
    [],
  );
});

test('schedule entries are checked with the scheduleElement parser', () => {
  const issues = issuesOf(withKeys({ schedule: ['* 0-4 * * * * *', '* * 25 * * * *', '* * * * * *', 5] }));
  assert.deepEqual(
    issues.map((i) => [i.path, i.message.slice(0, 30)]),
    [
      ['schedule[3]', 'expected a string, got a numbe'],
      ['schedule[1]', 'field hour: 25 is outside 0-23'],
      ['schedule[2]', 'expected 7 fields (second minu'],
    ],
  );
  assert.deepEqual(
    issuesOf(withKeys({ schedule: [] })).map((i) => i.path),
    ['schedule'],
  );
  assert.deepEqual(validateConfig(withKeys({ schedule: ['* 0-4 * * * * *'] }), models).config?.schedule, [
    '* 0-4 * * * * *',
  ]);
});

test('devices get model defaults, merged params and overrides', () => {
  const { config, issues } = validateConfig(
    withKeys({
      contentFormat: 'senml+cbor',
      devices: [
        { name: 'counter', model: 'sim', params: { waveform: 'sine' } },
        {
          name: 'door',
          model: 'reed-switch',
          params: { gpio: 17 },
          container: { mni: 5 },
          contentFormat: 'senml+json',
          deadband: 0.5,
        },
        {
          name: 'fan',
          model: 'relay',
          params: { gpio: 17, sysfsBase: 512 },
          eventCategory: 'latest',
          sample: '0 * * * * *',
        },
      ],
    }),
    models,
  );
  assert.deepEqual(issues, []);
  const [counter, door, fan] = config?.devices ?? [];
  assert.deepEqual(counter, {
    name: 'counter',
    model: 'sim',
    driver: 'sim',
    kind: 'sensor',
    readings: [{ name: 'value' }],
    params: { waveform: 'sine', periodSeconds: 60 },
    sample: '*/10 * * * * *',
    eventCategory: 'bestEffort',
    container: { mni: 100, mbs: 100000, mia: 86400 },
    contentFormat: 'senml+cbor',
  });
  assert.equal(door?.sample, undefined);
  assert.equal(door?.eventCategory, 'immediate');
  assert.deepEqual(door?.container, { mni: 5 });
  assert.equal(door?.contentFormat, 'senml+json');
  assert.equal(door?.deadband, 0.5);
  // Pin 17 on another GPIO chip is another pin.
  assert.equal(fan?.kind, 'actuator');
  assert.equal(fan?.eventCategory, 'latest');
  assert.equal(fan?.sample, '0 * * * * *');
});

test('with no models at all the hint says where models come from', () => {
  const { issues } = validateConfig(withKeys({ devices: [{ name: 'x', model: 'sim' }] }), new Map());
  assert.deepEqual(
    issues.map((i) => [i.path, i.message]),
    [['devices[0].model', 'unknown model "sim"']],
  );
  assert.match(issues[0]?.hint ?? '', /no device models were found/);
});
