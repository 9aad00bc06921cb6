import type { RunpodJobStatus, RunpodRunRequest } from '../../../src/runpod/protocol';

/** Who else wants to hear about one job while it runs (production mode: RunPod's progress updates). */
export interface JobObserver {
  /** Throttled to one call per `progressIntervalMs`; never called once the job is final. */
  onProgress(progress: number): void;
}

/** One job as the gpu-worker keeps it, in RunPod's terms. */
export interface JobRecord {
  id: string;
  status: RunpodJobStatus;
  input: unknown;
  policy: RunpodRunRequest['policy'];
  webhook: string | undefined;
  /** Epoch ms. */
  createdAt: number;
  startedAt: number | undefined;
  finishedAt: number | undefined;
  output: unknown;
  /** RunPod's error string (runpod-python's JSON payload). */
  error: string | undefined;
  retries: number;
  progress: number | undefined;
  /** Items for GET /stream not yet handed out. */
  streamQueue: unknown[];
  /** Aborts the execution (cancel, timeout). */
  controller: AbortController | undefined;
  /** Hears the job's progress (production mode posts it to RunPod). */
  observer: JobObserver | undefined;
  /** Resolves when the job reaches a final state (for /runsync and /status-sync). */
  settled: Promise<void>;
  settle: () => void;
}
