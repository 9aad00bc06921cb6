import type { Logger } from 'pino';
import type { Clock } from '../../src/core/clock';
import type { RunStore } from '../../src/redis/run-store';
import type { ExecutorOptions } from './executor-options';
import type { NodeAttemptDeps } from './node-attempt';
import type { RunControl } from './run-control';

/** How one call of `execute` ended. */
export enum ExecutionEnd {
  /** The run reached a terminal status (now or before this call). */
  Finished = 'FINISHED',
  /** This executor let the run go (shutdown, or another worker holds its lease): it must run again elsewhere. */
  Abandoned = 'ABANDONED',
  /** No such run in Redis (expired, or never created). */
  NotFound = 'NOT_FOUND',
}

export interface RunExecutorDeps {
  store: RunStore;
  attempts: NodeAttemptDeps;
  control: RunControl;
  clock: Clock;
  /** [0, 1), for retry jitter. */
  random: () => number;
  logger: Logger;
  options: ExecutorOptions;
}
