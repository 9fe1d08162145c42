/**
 * The agent as a service, for `m2m-agent run`: started once, restarted in place on SIGHUP or a
 * configuration patch from the registrar (one at a time; the outbox on disk carries over), pinging
 * the systemd watchdog while healthy, and stopped on SIGTERM/SIGINT or the registrar's restart
 * request with an exit code that tells systemd what happened.
 */
import { loadConfig } from '../config/load.js';
import { ConfigError } from '../config/errors.js';
import { formatIssues } from '../config/format.js';
import type { AgentConfig } from '../config/types.js';
import { startAgent, type RunningAgent, type StartOptions } from '../main.js';
import { createSdNotifier, type SdNotifier } from '../util/sd-notify.js';
import { installLoopBlockHook } from '../util/loop-block-hook.js';
import { startWatchdog, writableDirCheck, type Watchdog } from '../util/watchdog.js';
import { createLogger, type Logger, type LogLevel } from '../util/log.js';
import { describeError } from '../util/errors.js';
import { redactUrl } from '../util/redact.js';
import { EXIT_OK } from './command.js';
import { applyRemotePatch } from './remote-config.js';
import { deviceModelDirs } from './paths.js';
import { readOutcome } from '../config/remote-store.js';

/** Exit code when the agent cannot run any more (systemd's Restart=on-failure restarts it). */
const EXIT_FAILURE = 1;
/** After a clean stop, how long open handles may delay the exit. */
const FORCED_EXIT_MS = 3000;
/**
 * The registrar asked for a restart (its reboot object): a clean stop, then this code, which is not
 * a success, so systemd's Restart=on-failure starts the agent again (EX_TEMPFAIL).
 */
export const EXIT_RESTART = 75;
/** 128 + SIGINT, as a shell reports it. */
const EXIT_INTERRUPTED = 130;

/** Loads and validates `path`; on problems, logs and prints every one and resolves undefined. */
export async function loadValidConfig(path: string, log: Logger): Promise<AgentConfig | undefined> {
  try {
    return await loadConfig(path, { deviceModelDirs: deviceModelDirs(path) });
  } catch (err) {
    if (err instanceof ConfigError) {
      log.error(`configuration ${path} has ${err.issues.length} problem(s)`, { issues: err.issues });
      process.stderr.write(`${path}:\n${formatIssues(err.issues)}\n`);
      return undefined;
    }
    throw err;
  }
}

type ServiceCallbacks = Pick<StartOptions, 'onRestartRequested' | 'onConfigPatch' | 'configStatus'>;

export class AgentService {
  private config: AgentConfig;
  private log: Logger;
  private readonly notifier: SdNotifier;
  private readonly callbacks: ServiceCallbacks;
  private running: RunningAgent | undefined;
  /** Set once the first start is done; SIGHUP before that is held, a patch ignored. */
  private started = false;
  private watchdog: Watchdog | undefined;
  /** Reloads and patches, one after the other. */
  private busy = Promise.resolve();
  private reloadWanted = false;
  /** The outcome of the last configuration patch, published in `config-status` (kept across restarts). */
  private configStatus: string | undefined;
  private stopReason: string | undefined;
  private failed = false;
  private restartRequested = false;
  private wakeStop: (() => void) | undefined;
  private removeLoopBlockHook: () => void = () => undefined;

  constructor(
    private readonly path: string,
    config: AgentConfig,
    /** `--log-level`, which overrides the configuration's across reloads. */
    private readonly levelOption: LogLevel | undefined,
  ) {
    this.config = config;
    this.log = this.loggerFor(config);
    this.notifier = createSdNotifier({ logger: this.log });
    this.callbacks = {
      onRestartRequested: () => {
        this.requestStop('restart requested by the registrar', { restart: true });
      },
      onConfigPatch: (con: unknown) => {
        this.applyPatch(con);
      },
      configStatus: () => this.configStatus,
    };
  }

  /**
   * Signals are taken before the agent starts: systemd may stop or reload a unit that is still
   * starting, and Node's default action for SIGTERM/SIGHUP would kill the process without flushing
   * the outbox.
   */
  takeSignals(): void {
    process.on('SIGTERM', this.onStopSignal);
    process.on('SIGINT', this.onStopSignal);
    process.on('SIGHUP', this.onHup);
    this.removeLoopBlockHook = installLoopBlockHook(process.env, this.log);
  }

  private readonly onStopSignal = (signal: NodeJS.Signals): void => {
    if (this.stopReason !== undefined) {
      // Ctrl-C twice: the person at the terminal wants out now. systemd sends SIGTERM once and
      // SIGKILL after TimeoutStopSec, so a repeated SIGTERM only gets a log line.
      if (signal === 'SIGINT') process.exit(EXIT_INTERRUPTED);
      this.log.warn('stop signal repeated; still flushing the outbox', { signal });
      return;
    }
    this.requestStop(signal);
  };

  private readonly onHup = (): void => {
    this.reload();
  };

  private requestStop(reason: string, opts: { restart?: boolean; failed?: boolean } = {}): void {
    if (opts.failed) {
      this.stopReason ??= reason;
      this.failed = true;
    } else {
      if (this.stopReason !== undefined) return;
      this.stopReason = reason;
      this.restartRequested = opts.restart === true;
    }
    this.wakeStop?.();
  }

  /** Starts the agent, tells systemd it is ready and starts the watchdog pings. */
  async start(): Promise<void> {
    // The outcome of the last patch is published again after a restart.
    this.configStatus = await readOutcome(this.config.stateDir);
    try {
      this.running = await startAgent(this.config, { logger: this.log, ...this.callbacks });
    } catch (err) {
      this.releaseSignals();
      throw err;
    }
    const { config } = this;
    this.log.info('agent running', {
      name: config.node.name,
      registrar: redactUrl(config.registrar.url),
      devices: config.devices.length,
    });
    await this.notifier.ready(`running; registrar ${redactUrl(config.registrar.url)}`);
    this.watchdog = this.startWatching(config.stateDir);
    this.started = true;
    if (this.reloadWanted) this.reload();
  }

  private releaseSignals(): void {
    process.off('SIGTERM', this.onStopSignal);
    process.off('SIGINT', this.onStopSignal);
    process.off('SIGHUP', this.onHup);
    this.removeLoopBlockHook();
  }

  private startWatching(stateDir: string): Watchdog | undefined {
    const intervalMs = this.notifier.watchdogIntervalMs;
    if (!intervalMs) return undefined;
    const { notifier, log } = this;
    return startWatchdog({ intervalMs, notifier, healthCheck: writableDirCheck(stateDir, log), logger: log });
  }

  private restartWatchdog(): void {
    this.watchdog?.stop();
    this.watchdog = this.startWatching(this.config.stateDir);
  }

  private agent(): RunningAgent {
    if (!this.running) throw new Error('the agent has not started');
    return this.running;
  }

  private loggerFor(config: AgentConfig): Logger {
    return createLogger({ level: this.levelOption ?? config.logLevel });
  }

  /** SIGHUP: reads the configuration file again and restarts the agent with it (held until started). */
  reload(): void {
    if (!this.started) {
      this.reloadWanted = true; // applied once the first start is done
      return;
    }
    this.oneAtATime(() => this.reloadNow(), 'reload failed and the agent could not be restarted');
  }

  /** A configuration patch from the registrar (ignored before the agent started). */
  applyPatch(con: unknown): void {
    if (!this.started) {
      this.log.warn('configuration patch received before the agent started; ignored');
      return;
    }
    this.oneAtATime(
      () => this.applyPatchNow(con),
      'configuration patch failed and the agent could not be restarted',
    );
  }

  /** Runs `task` after the reloads and patches before it; a failure stops the service non-zero. */
  private oneAtATime(task: () => Promise<void>, failure: string): void {
    this.busy = this.busy
      .then(async () => {
        if (this.stopReason !== undefined) return;
        await task();
      })
      .catch((err: unknown) => {
        // Not even the previous configuration starts again: exit non-zero so systemd restarts us.
        this.log.error(failure, { error: describeError(err) });
        this.requestStop('reload-failure', { failed: true });
      });
  }

  private async reloadNow(): Promise<void> {
    await this.notifier.reloading();
    const next = await loadValidConfig(this.path, this.log);
    if (!next) {
      this.log.error('reload refused: the configuration is invalid; still running the previous one');
      await this.notifier.ready('reload refused: invalid configuration');
      return;
    }
    this.log.info('reloading the configuration');
    await this.agent().stop();
    const previous = this.config;
    try {
      await this.startWith(next);
    } catch (err) {
      // The new configuration validated but does not start (e.g. its state directory cannot be
      // created): go back to the one that ran, so the board keeps collecting.
      this.log.error('reload failed; restarting with the previous configuration', {
        error: describeError(err),
      });
      await this.startAgain(previous);
    }
    this.restartWatchdog();
    await this.notifier.ready(this.config === next ? 'reloaded' : 'reload failed; previous configuration');
  }

  private async applyPatchNow(con: unknown): Promise<void> {
    const outcome = await applyRemotePatch(con, {
      path: this.path,
      current: () => this.config,
      log: () => this.log,
      restart: async (next) => {
        await this.agent().stop();
        await this.startWith(next);
      },
      rollback: (previous) => this.startAgain(previous),
    });
    this.configStatus = JSON.stringify(outcome);
    this.agent().configStatusChanged();
    this.restartWatchdog();
  }

  /** Starts the agent with `next`, which becomes the configuration and log level (throws if it does not start). */
  private async startWith(next: AgentConfig): Promise<void> {
    const nextLog = this.loggerFor(next);
    this.running = await startAgent(next, { logger: nextLog, ...this.callbacks });
    this.config = next;
    this.log = nextLog;
  }

  /** Starts the agent again with the configuration that ran, keeping the current log. */
  private async startAgain(previous: AgentConfig): Promise<void> {
    this.running = await startAgent(previous, { logger: this.log, ...this.callbacks });
  }

  /** Resolves once a signal, the registrar or a failed reload asked the service to stop. */
  async stopRequested(): Promise<void> {
    if (this.stopReason === undefined)
      await new Promise<void>((resolve) => {
        this.wakeStop = resolve;
      });
  }

  /** Flushes the outbox, closes the link and resolves with the process exit code. */
  async shutdown(): Promise<number> {
    const { log } = this;
    log.info('stopping: flushing the outbox and closing the link', { signal: this.stopReason });
    await this.notifier.stopping();
    this.watchdog?.stop();
    await this.busy;
    await this.agent().stop();
    // SIGTERM and SIGINT stay ours: a repeated one during the exit gets its log line or exit 130.
    process.off('SIGHUP', this.onHup);
    this.removeLoopBlockHook();
    this.log.info('stopped');
    // Everything is closed; a handle some library still holds must not keep a stopping service
    // alive until systemd's TimeoutStopSec kills it.
    const exitCode = this.failed ? EXIT_FAILURE : this.restartRequested ? EXIT_RESTART : EXIT_OK;
    setTimeout(() => {
      this.log.warn('handles still open after stop; exiting anyway');
      process.exit(exitCode);
    }, FORCED_EXIT_MS).unref();
    return exitCode;
  }
}
