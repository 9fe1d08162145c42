/**
 * Crash safety: a child process appends and acknowledges in a loop and is killed with SIGKILL at
 * random points (after a random number of reported events), 22 times, on the same directory. After every kill the directory is reopened and
 * checked: every append that had resolved is still there or was being removed; every completed
 * removal stays removed; every record is intact.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import { fileURLToPath } from 'node:url';
import { after, it } from 'node:test';
import { FileOutboxStore } from '../../src/outbox/file-store.js';

const KILLS = 22;
// fork passes on process.execArgv (`--import tsx` under the test runner).
const underTsx = import.meta.url.endsWith('.ts');
const fixture = fileURLToPath(
  new URL(`./fixtures/append-ack-child.${underTsx ? 'ts' : 'js'}`, import.meta.url),
);
const dir = fs.mkdtempSync(os.tmpdir() + '/m2m-');
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

type State = 'held' | 'removing' | 'removed' | 'quarantining' | 'quarantined';

/**
 * Runs the child until READY, lets it report `events` more events, kills it; returns every line it
 * reported. The kill point is counted in events, not in time, so a loaded machine changes nothing.
 */
async function runAndKill(run: number, events: number): Promise<string[]> {
  const child = fork(fixture, [dir, String(run)], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
  const lines: string[] = [];
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    err += d;
  });
  // Every message in the pipe is delivered before the channel reports 'disconnect' ('exit' may
  // come earlier): an "about to remove" still in the pipe at the kill must be counted.
  const exited = Promise.all([
    new Promise((resolve) => child.once('exit', resolve)),
    new Promise((resolve) => child.once('disconnect', resolve)),
  ]);
  let ready = false;
  const enough = new Promise<void>((resolve) => {
    child.on('message', (line: string) => {
      lines.push(line);
      if (line.startsWith('READY')) ready = true;
      else if (ready && --events <= 0) resolve();
    });
  });
  await Promise.race([enough, exited]);
  assert.ok(ready, `child ${run} exited before READY: ${err}`);
  child.kill('SIGKILL');
  await exited;
  assert.equal(child.signalCode, 'SIGKILL', `child ${run} ended by itself: ${err}`);
  return lines;
}

it(`no resolved append is lost across ${KILLS} SIGKILLs`, { timeout: 60_000 }, async () => {
  const state = new Map<number, State>();
  let appended = 0;
  let removed = 0;
  for (let run = 0; run < KILLS; run++) {
    const lines = await runAndKill(run, 1 + Math.floor(Math.random() * 200));
    for (const line of lines) {
      const [tag, rest = ''] = line.split(' ');
      const ids = rest.split(',').map(Number);
      for (const id of ids) {
        if (tag === 'A') {
          state.set(id, 'held');
          appended++;
        } else if (tag === 'R') state.set(id, 'removing');
        else if (tag === 'D') {
          state.set(id, 'removed');
          removed++;
        } else if (tag === 'Q') state.set(id, 'quarantining');
        else if (tag === 'q') state.set(id, 'quarantined');
      }
    }
    const store = await FileOutboxStore.open(dir);
    const records = await store.peek(Number.MAX_SAFE_INTEGER);
    const present = new Set(records.map((r) => r.id));
    assert.equal(present.size, records.length, 'no id twice');
    const quarantined = new Set((await store.readQuarantine()).map((r) => r.id));
    for (const [id, s] of state) {
      if (s === 'held') assert.ok(present.has(id), `run ${run}: resolved append ${id} lost`);
      if (s === 'removed' || s === 'quarantined')
        assert.ok(!present.has(id), `run ${run}: removed ${id} came back`);
      if (s === 'quarantined') assert.ok(quarantined.has(id), `run ${run}: quarantined ${id} missing`);
    }
    for (const r of records) {
      assert.match(new TextDecoder().decode(r.payload), /^\d+:\d+:x{180}$/, `record ${r.id} damaged`);
    }
    await store.close();
    // The reopened directory is now the truth: everything in it is held, the rest is gone.
    for (const id of state.keys()) if (!present.has(id)) state.delete(id);
    for (const id of present) state.set(id, 'held');
  }
  assert.ok(appended > KILLS * 5 && removed > KILLS, `the child did too little work (${appended} appends)`);
});
