/**
 * The metrics file of a running agent (`metrics.textfile`, for node_exporter's textfile
 * collector): valid Prometheus text format at every read, and its values follow what happens:
 * readings counted per device, the link going down and up, the outbox filling and draining.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawConfig } from '../helpers/agent-harness.js';
import { FlakyRegistrar, spawnRun, until, writeConfig, type RunChild } from '../helpers/cli-child.js';
import { parsePrometheusText, value, type ParsedFamily } from '../helpers/prometheus-text.js';

test('the metrics file parses and follows readings, link and outbox', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'm2m-'));
  const registrar = await FlakyRegistrar.start();
  const runs: RunChild[] = [];
  t.after(async () => {
    for (const r of runs) await r.kill();
    await registrar.close();
    rmSync(base, { recursive: true, force: true });
  });
  const collector = join(base, 'textfile_collector');
  mkdirSync(collector);
  const prom = join(collector, 'm2m_agent.prom');
  const config = join(base, 'config.json');
  writeConfig(config, {
    ...rawConfig(registrar.registrar, join(base, 'state'), {
      devices: [
        { name: 'counter', model: 'sim', params: { waveform: 'counter' }, sample: '* * * * * *' },
        { name: 'wave', model: 'sim', params: { waveform: 'sine' }, sample: '* * * * * *' },
      ],
    }),
    metrics: { textfile: prom },
  });

  /** The file as the collector would read it now; every read must parse (atomic replacement). */
  let reads = 0;
  const read = (): Map<string, ParsedFamily> | undefined => {
    let text: string;
    try {
      text = readFileSync(prom, 'utf8');
    } catch {
      return undefined; // not written yet
    }
    reads++;
    return parsePrometheusText(text);
  };
  const metric = (name: string, labels: Record<string, string> = {}): number | undefined => {
    const fams = read();
    return fams ? value(fams, name, labels) : undefined;
  };
  const readings = (): number => metric('m2m_agent_readings_total', { device: 'counter' }) ?? -1;

  const run = spawnRun(config);
  runs.push(run);
  await until(() => metric('m2m_agent_link_up') === 1, 'link_up 1', 15_000, run);
  await until(() => readings() >= 1, 'a counted reading');
  const first = readings();
  await until(() => readings() >= first + 2, 'the reading count to grow');
  assert.ok((metric('m2m_agent_readings_total', { device: 'wave' }) ?? 0) >= 1, 'one series per device');
  await until(() => (metric('m2m_agent_last_roundtrip_timestamp_seconds') ?? 0) > 0, 'a round trip');
  const rtt = metric('m2m_agent_last_roundtrip_timestamp_seconds') ?? 0;
  assert.ok(Math.abs(rtt - Date.now() / 1000) < 60, `round trip time is Unix seconds: ${rtt}`);
  assert.equal(metric('m2m_agent_device_errors_total', { device: 'counter' }), 0);
  assert.equal(statSync(prom).mode & 0o777, 0o640, 'readable by the group (node_exporter), not by all');

  // The registrar goes away: link down, readings go on into the outbox.
  await registrar.down();
  await until(() => metric('m2m_agent_link_up') === 0, 'link_up 0');
  await until(() => (metric('m2m_agent_outbox_depth') ?? 0) >= 2, 'outbox depth grows');
  assert.ok((metric('m2m_agent_outbox_bytes') ?? 0) > 0);
  await until(() => (metric('m2m_agent_outbox_oldest_age_seconds') ?? 0) >= 1, 'the oldest entry ages');
  const whileDown = readings();

  // Back: the outbox drains, a reconnect is counted, readings kept being counted.
  await registrar.up();
  await until(() => metric('m2m_agent_link_up') === 1, 'link_up 1 again');
  await until(() => metric('m2m_agent_outbox_depth') === 0, 'the outbox drained');
  assert.ok((metric('m2m_agent_reconnects_total') ?? 0) >= 1, 'reconnect counted');
  assert.ok(readings() > whileDown);
  assert.equal(metric('m2m_agent_outbox_dropped_total', { reason: 'evicted' }), 0);

  run.child.kill('SIGTERM');
  assert.deepEqual(await run.waitExit(10_000), { code: 0, signal: null }, run.stderr());
  // The last write is the stopped state, and no temp file is left for the collector to trip on.
  assert.equal(metric('m2m_agent_link_up'), 0);
  assert.deepEqual(readdirSync(collector), ['m2m_agent.prom']);
  assert.ok(reads > 10, `the file was read ${reads} times`);
});
