/** A submitted RunPod job whose id (and its node's QUEUED -> RUNNING) is not written yet. */
export interface PendingJobStart {
  nodeId: string;
  attempt: number;
  jobId: string;
  /** When the job was accepted: the NODE_STARTED event's time, whenever it is written. */
  at: string;
}

/**
 * The job ids a run driver has yet to write, and the one timer that bounds how long they wait.
 *
 * A GPU node's start is written with the run's next step or after `delayMs`, whichever comes
 * first: a fast job's start and result then share one Redis round trip instead of two, and a slow
 * job's start is written a few ms late. When the delay is up, `onDue` runs after the event loop's
 * next I/O phase rather than before it: timers run first in a loop iteration, and a busy worker
 * often has the job's end notice already waiting, whose step then takes the start along.
 */
export class PendingJobStarts {
  private readonly pending = new Map<string, PendingJobStart>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly delayMs: number,
    private readonly onDue: () => void,
  ) {}

  add(start: PendingJobStart): void {
    this.pending.set(start.nodeId, start);
    this.timer ??= setTimeout(() => {
      setImmediate(() => {
        if (this.timer !== undefined) this.onDue();
      });
    }, this.delayMs);
  }

  has(nodeId: string): boolean {
    return this.pending.has(nodeId);
  }

  /** Everything pending, in the order it came; the buffer is empty and its timer stopped after. */
  take(): PendingJobStart[] {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const taken = [...this.pending.values()];
    this.pending.clear();
    return taken;
  }
}
