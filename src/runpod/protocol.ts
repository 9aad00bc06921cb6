/**
 * RunPod's serverless endpoint API, as the worker calls it and the gpu-worker serves it
 * (https://docs.runpod.io/serverless/endpoints/operations). Shared by both sides so they cannot drift.
 */
export enum RunpodJobStatus {
  InQueue = 'IN_QUEUE',
  InProgress = 'IN_PROGRESS',
  Completed = 'COMPLETED',
  Failed = 'FAILED',
  Cancelled = 'CANCELLED',
  TimedOut = 'TIMED_OUT',
}

export const FINAL_RUNPOD_STATUSES: ReadonlySet<RunpodJobStatus> = new Set([
  RunpodJobStatus.Completed,
  RunpodJobStatus.Failed,
  RunpodJobStatus.Cancelled,
  RunpodJobStatus.TimedOut,
]);

/** Body of POST /run and /runsync. */
export interface RunpodRunRequest<Input = unknown> {
  input: Input;
  webhook?: string;
  policy?: {
    /** ms the job may run once started. */
    executionTimeout?: number;
    /** ms the job may wait in the queue and run, in all. */
    ttl?: number;
    lowPriority?: boolean;
  };
}

/** Answer of /status/{id} (and /run, /runsync, /cancel, with fewer fields). */
export interface RunpodJobState<Output = unknown> {
  id: string;
  status: RunpodJobStatus;
  output?: Output;
  /** RunPod sends a string; runpod-python's workers put a JSON object (error_type, error_message, ...) in it. */
  error?: string;
  delayTime?: number;
  executionTime?: number;
  retries?: number;
  workerId?: string;
}

export interface RunpodHealth {
  jobs: { completed: number; failed: number; inProgress: number; inQueue: number; retried: number };
  workers: { idle: number; running: number; [state: string]: number };
}

/** What Switchyard puts in a job's `input`: one block execution. */
export interface BlockJobInput {
  block: string;
  config: unknown;
  inputs: Record<string, unknown>;
  /** Where the job comes from; also the gpu-worker's key for its record of executions. */
  meta?: { runId: string; nodeId: string; attempt: number; tenantId?: string };
}

/** What a block job outputs on success. */
export interface BlockJobOutput {
  outputs: Record<string, unknown>;
}

/** The JSON object runpod-python's workers put in `error`, with Switchyard's code and retryability added. */
export interface RunpodErrorPayload {
  error_type: string;
  error_message: string;
  error_traceback?: string;
  hostname?: string;
  worker_id?: string;
  runpod_version?: string;
  /** Switchyard's NodeErrorCode. */
  code?: string;
  retryable?: boolean;
}

/**
 * Announcement the gpu-worker publishes on Redis when a job reaches a final state (the worker's fast path),
 * and, throttled, while it runs: `status: IN_PROGRESS` with `output: {progress}`. Readers skip what is not final.
 */
export interface RunpodJobNotice {
  id: string;
  status: RunpodJobStatus;
  output?: unknown;
  error?: string;
}
