/**
 * Counting sd_notify messages in a unit's journal: the agent logs `sd_notify sent` (debug level)
 * after each message systemd-notify delivered, and PID 1 at debug level logs
 * `<unit>: Got notification message from PID N (READY=1, STATUS=...)` for each one it acted on.
 */

export type NotificationKind = 'ready' | 'status' | 'watchdog' | 'reloading' | 'stopping';

export interface NotificationCounts {
  readonly sent: Record<NotificationKind, number>;
  readonly acted: Record<NotificationKind, number>;
}

const zero = (): Record<NotificationKind, number> => ({
  ready: 0,
  status: 0,
  watchdog: 0,
  reloading: 0,
  stopping: 0,
});

/** The kind of a message from its first assignment (as the agent's notifier sends them). */
function kindOf(assignments: string): NotificationKind | undefined {
  const first = assignments.split(', ')[0] ?? '';
  if (first === 'READY=1') return 'ready';
  if (first === 'WATCHDOG=1') return 'watchdog';
  if (first === 'RELOADING=1') return 'reloading';
  if (first === 'STOPPING=1') return 'stopping';
  if (first.startsWith('STATUS=')) return 'status';
  return undefined;
}

/** Counts both sides in `journalctl -u UNIT -o cat` output. */
export function notificationCounts(journal: string): NotificationCounts {
  const sent = zero();
  const acted = zero();
  for (const line of journal.split('\n')) {
    const got = /: Got notification message from PID \d+ \((.*)\)$/.exec(line);
    if (got?.[1] !== undefined) {
      const kind = kindOf(got[1]);
      if (kind) acted[kind]++;
      continue;
    }
    if (!line.includes('"sd_notify sent"')) continue;
    try {
      const what = (JSON.parse(line.replace(/^<\d>/, '')) as { what?: string }).what;
      if (
        what === 'ready' ||
        what === 'status' ||
        what === 'watchdog' ||
        what === 'reloading' ||
        what === 'stopping'
      )
        sent[what]++;
    } catch {
      // a truncated line: not one of ours to count
    }
  }
  return { sent, acted };
}
