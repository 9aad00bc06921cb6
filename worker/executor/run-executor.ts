import type { ExecutionEnd, RunExecutorDeps } from './executor-types';
import { RunDriver } from './run-driver';

export { ExecutionEnd, type RunExecutorDeps } from './executor-types';

/**
 * Drives runs. `execute(runId)` takes the run's lease, resumes from whatever state Redis holds
 * (succeeded nodes are kept, in-flight RunPod jobs re-attached by their recorded id), and loops:
 * ask the pure scheduler what to do, apply it through atomic transitions, wait for a node to finish,
 * a backoff to pass or a cancel. Every transition checks the lease, so a worker that lost the run
 * cannot change it.
 */
export class RunExecutor {
  constructor(private readonly deps: RunExecutorDeps) {}

  async execute(runId: string, shutdown: AbortSignal): Promise<ExecutionEnd> {
    return new RunDriver(this.deps, runId, shutdown).drive();
  }
}
