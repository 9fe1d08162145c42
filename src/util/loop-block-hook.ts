/**
 * A test hook for the systemd watchdog: with `M2M_AGENT_TEST_BLOCK_LOOP=1` in the environment,
 * SIGUSR2 blocks the event loop (as a hung driver or an endless loop would) so that
 * `npm run test:systemd` can watch systemd kill and restart a stuck agent. Off unless the variable
 * is set; a production unit never sets it.
 */
import type { Logger } from './log.js';

export const LOOP_BLOCK_ENV = 'M2M_AGENT_TEST_BLOCK_LOOP';

/** How long SIGUSR2 blocks the loop: far beyond any WatchdogSec a test uses. */
const BLOCK_MS = 10 * 60_000;

/** Installs the hook when enabled; returns its removal (a no-op when not installed). */
export function installLoopBlockHook(env: NodeJS.ProcessEnv, log: Logger): () => void {
  if (env[LOOP_BLOCK_ENV] !== '1') return () => undefined;
  log.warn(`test hook enabled (${LOOP_BLOCK_ENV}=1): SIGUSR2 blocks the event loop`);
  const onSignal = (): void => {
    log.warn('SIGUSR2: blocking the event loop (test hook)');
    // Atomics.wait sleeps the thread without burning CPU; nothing else runs, no timer fires.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, BLOCK_MS);
  };
  process.on('SIGUSR2', onSignal);
  return () => {
    process.off('SIGUSR2', onSignal);
  };
}
