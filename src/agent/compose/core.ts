/** What every part of a running agent is built with; the composition root makes it first. */
import type { FrameObserver } from '../../binding/ws/types.js';
import type { AgentConfig } from '../../config/types.js';
import type { Outbox } from '../../outbox/index.js';
import type { Clock } from '../../util/clock.js';
import type { Logger } from '../../util/log.js';
import type { AgentEvents } from '../agent-events.js';

export interface Core {
  readonly config: AgentConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Request identifiers, one sequence for every request the agent sends. */
  readonly rqi: () => string;
  readonly events: AgentEvents;
  readonly outbox: Outbox;
  /** This boot's id: sampling stamps and expiry survive a wall-clock jump only within one boot. */
  readonly bootId: string;
}

/** The hooks `m2m-agent run` and the tests give the agent (a subset of `StartOptions`). */
export interface StartHooks {
  readonly onFrame?: FrameObserver;
  /** Root of /proc, /sys and /etc for the board facts (tests: a fake tree). */
  readonly sysRoot?: string;
  /** The registrar asked for a restart; without it the request is only logged. */
  readonly onRestartRequested?: () => void;
  /** A configuration patch arrived; without it, no `config` container is created. */
  readonly onConfigPatch?: (con: unknown) => void;
  /** The outcome of the last patch, published in `config-status`. */
  readonly configStatus?: () => string | undefined;
}
