import { Queue, type ConnectionOptions } from 'bullmq';

/** The one BullMQ queue of runs; a job is `{ runId }`. */
export const RUN_QUEUE_NAME = 'runs';

export interface RunJobData {
  runId: string;
}

/** Contract priority (higher first, default 0) is clamped to this range. */
export const MAX_RUN_PRIORITY = 1_000_000;
/** BullMQ runs lower numbers first, from 1 to 2^21; 0 would mean "no priority" and jump the queue. */
const BULL_PRIORITY_ZERO = 1_048_576;

export function toBullPriority(priority: number): number {
  const clamped = Math.max(-MAX_RUN_PRIORITY, Math.min(MAX_RUN_PRIORITY, Math.trunc(priority)));
  return BULL_PRIORITY_ZERO - clamped;
}

/**
 * The API's side of the run queue. The job id is `<runId>-q<seq of the RUN_QUEUED event>`: unique per
 * queuing of a run (retryRun queues it again) and the same for a repeated add of one queuing.
 * (BullMQ forbids ":" in custom ids.)
 */
export class RunQueue {
  readonly queue: Queue<RunJobData>;

  constructor(connection: ConnectionOptions, prefix: string) {
    this.queue = new Queue<RunJobData>(RUN_QUEUE_NAME, { connection, prefix });
  }

  async enqueue(runId: string, queuedSeq: number, priority: number): Promise<void> {
    await this.queue.add(
      'run',
      { runId },
      {
        jobId: jobIdOf(runId, queuedSeq),
        priority: toBullPriority(priority),
        removeOnComplete: true,
        removeOnFail: 1000,
        // The run executor does its own retries, per node; the job itself is retried only after a
        // crash, through BullMQ's stalled-job handling.
        attempts: 1,
      },
    );
  }

  /** Removes a run's job if no worker has taken it yet (a run cancelled while QUEUED); true when removed. */
  async removeIfWaiting(runId: string, queuedSeq: number): Promise<boolean> {
    return (await this.queue.remove(jobIdOf(runId, queuedSeq)).catch(() => 0)) === 1;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}

export function jobIdOf(runId: string, queuedSeq: number): string {
  return `${runId}-q${queuedSeq}`;
}
