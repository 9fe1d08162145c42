/**
 * Prometheus text exposition format (version 0.0.4) for node_exporter's textfile collector
 * (config `metrics.textfile`). The agent renders a snapshot of its counters and writes the file
 * atomically, so the collector never reads half a file.
 */
import { randomBytes } from 'node:crypto';
import { chmod, open, rename, unlink } from 'node:fs/promises';
import { redactSecrets } from '../util/redact.js';
import { basename, dirname, join } from 'node:path';

/** Everything the metrics file reports; a plain object the agent fills from its own state. */
export interface MetricsSnapshot {
  /** The WebSocket link to the registrar is up. */
  linkUp: boolean;
  /** Successful reconnects since start. */
  reconnects: number;
  /** Same names as the `outbox` object of `status --json`. */
  outbox: {
    depth: number;
    bytes: number;
    /** Age of the oldest pending entry; null when the outbox is empty. */
    oldestAgeSeconds: number | null;
    evicted: number;
    expired: number;
    quarantined: number;
    /** Readings refused because the outbox or the disk was full. */
    refused?: number;
  };
  /** Per device name. */
  devices: Readonly<Record<string, { readings: number; errors: number }>>;
  /** Wall-clock time of the last successful request/response round trip; null if none yet. */
  lastRoundtripEpochMs: number | null;
}

type MetricType = 'gauge' | 'counter';
interface Sample {
  labels?: Readonly<Record<string, string>>;
  value: number;
}
interface Family {
  name: string;
  type: MetricType;
  help: string;
  samples: readonly Sample[];
}

/** Label values escape backslash, double quote and newline (exposition format 0.0.4). */
export function escapeLabelValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** HELP text escapes backslash and newline only. */
function escapeHelp(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

function renderFamily(f: Family): string {
  const lines = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} ${f.type}`];
  for (const s of f.samples) {
    const entries = Object.entries(s.labels ?? {});
    const labels =
      entries.length === 0 ? '' : `{${entries.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
    lines.push(`${f.name}${labels} ${formatValue(s.value)}`);
  }
  return lines.join('\n');
}

/** Renders the snapshot; families and devices come in a stable order so diffs stay small. */
export function renderMetrics(snapshot: MetricsSnapshot): string {
  const families = [
    ...linkFamilies(snapshot),
    ...outboxFamilies(snapshot.outbox),
    ...deviceFamilies(snapshot),
    lastRoundtripFamily(snapshot),
  ];
  return families.map(renderFamily).join('\n') + '\n';
}

/** Whether the link to the registrar is up, and how often it came back. */
function linkFamilies(snapshot: MetricsSnapshot): Family[] {
  return [
    {
      name: 'm2m_agent_link_up',
      type: 'gauge',
      help: '1 when the WebSocket link to the registrar is up.',
      samples: [{ value: snapshot.linkUp ? 1 : 0 }],
    },
    {
      name: 'm2m_agent_reconnects_total',
      type: 'counter',
      help: 'Reconnects to the registrar since the agent started.',
      samples: [{ value: snapshot.reconnects }],
    },
  ];
}

/** How much waits in the outbox, and what left it undelivered. */
function outboxFamilies(outbox: MetricsSnapshot['outbox']): Family[] {
  return [
    {
      name: 'm2m_agent_outbox_depth',
      type: 'gauge',
      help: 'Entries waiting in the outbox.',
      samples: [{ value: outbox.depth }],
    },
    {
      name: 'm2m_agent_outbox_bytes',
      type: 'gauge',
      help: 'Bytes held by the outbox.',
      samples: [{ value: outbox.bytes }],
    },
    {
      name: 'm2m_agent_outbox_oldest_age_seconds',
      type: 'gauge',
      help: 'Age of the oldest outbox entry (0 when empty).',
      samples: [{ value: outbox.oldestAgeSeconds ?? 0 }],
    },
    {
      name: 'm2m_agent_outbox_dropped_total',
      type: 'counter',
      help: 'Outbox entries dropped without delivery, by reason.',
      samples: [
        { labels: { reason: 'evicted' }, value: outbox.evicted },
        { labels: { reason: 'expired' }, value: outbox.expired },
        { labels: { reason: 'quarantined' }, value: outbox.quarantined },
        { labels: { reason: 'refused' }, value: outbox.refused ?? 0 },
      ],
    },
  ];
}

/** Readings and errors per device, devices in name order. */
function deviceFamilies(snapshot: MetricsSnapshot): Family[] {
  const deviceNames = Object.keys(snapshot.devices).sort();
  const perDevice = (pick: (d: { readings: number; errors: number }) => number): Sample[] =>
    deviceNames.map((device) => ({
      labels: { device },
      value: pick(snapshot.devices[device] ?? { readings: 0, errors: 0 }),
    }));
  return [
    {
      name: 'm2m_agent_readings_total',
      type: 'counter',
      help: 'Readings taken, by device.',
      samples: perDevice((d) => d.readings),
    },
    {
      name: 'm2m_agent_device_errors_total',
      type: 'counter',
      help: 'Device read or write errors, by device.',
      samples: perDevice((d) => d.errors),
    },
  ];
}

/** When the registrar last answered a request. */
function lastRoundtripFamily(snapshot: MetricsSnapshot): Family {
  return {
    name: 'm2m_agent_last_roundtrip_timestamp_seconds',
    type: 'gauge',
    // 0 rather than absent, so `time() - m2m_agent_last_roundtrip_timestamp_seconds > N` alerts
    // also on an agent that never got through.
    help: 'Unix time of the last successful round trip with the registrar (0: never).',
    samples: [{ value: snapshot.lastRoundtripEpochMs === null ? 0 : snapshot.lastRoundtripEpochMs / 1000 }],
  };
}

/**
 * Writes `text` to `path` atomically: a temp file in the same directory, then rename(2). The temp
 * name does not end in `.prom`, so the textfile collector ignores it. No fsync: the file is
 * rewritten every interval and a torn write after a power cut is replaced by the next one, while
 * an fsync per interval would wear the SD card for nothing. Mode 0640 whatever the umask (set on
 * the temp file, before the rename, so the collector never meets a narrower file): node_exporter
 * reads it through the group, which a setgid collector directory hands down (README, metrics).
 */
/** Readable by the group of the collector directory, never by every user. */
const METRICS_FILE_MODE = 0o640;

export async function writeMetricsFile(path: string, text: string): Promise<void> {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    const fh = await open(tmp, 'w', METRICS_FILE_MODE);
    try {
      await fh.writeFile(redactSecrets(text), 'utf8');
    } finally {
      await fh.close();
    }
    await chmod(tmp, METRICS_FILE_MODE);
    await rename(tmp, path);
  } catch (err) {
    // Best-effort cleanup; the original error is what the caller needs to see.
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
