import { z } from 'zod';
import { ConfigError, envInt, parseEnv, type Env } from '../../../src/config/env';
import { jobDoneUrlTemplate, jobStopUrl, jobTakeUrl, pingUrl } from './runpod-urls';

/**
 * RunPod's worker protocol settings. The RUNPOD_* variables are the ones RunPod sets in a
 * serverless container and runpod-python reads; the GPU_WORKER_* ones tune what runpod-python hard
 * codes (its values are the defaults), so tests can run the same code with short waits.
 */
export interface ProductionOptions {
  /** RUNPOD_WEBHOOK_GET_JOB with `$ID` replaced by the worker id. Required. */
  jobTakeUrl: string;
  /** Per-job stop channel, derived from the job-take URL as runpod-python does; undefined: no per-job stop. */
  jobStopUrl: string | undefined;
  /** RUNPOD_WEBHOOK_POST_OUTPUT with `$RUNPOD_POD_ID` replaced; `$ID` is the job id. Required. */
  jobDoneUrlTemplate: string;
  /** RUNPOD_WEBHOOK_PING with `$RUNPOD_POD_ID` replaced; undefined: no heartbeat (runpod-python logs and sends none). */
  pingUrl: string | undefined;
  /** @defaultValue 10000 (env RUNPOD_PING_INTERVAL, milliseconds, as RunPod sets it) */
  pingIntervalMs: number;
  /** Sent bare (no "Bearer") in `Authorization` on every call, as runpod-python does. @defaultValue "" (env RUNPOD_AI_API_KEY) */
  apiKey: string;
  /** Longest wait of one job-take or job-stop long poll before asking again (runpod-python: 90 s). @defaultValue 90000 (env GPU_WORKER_LONG_POLL_MS) */
  longPollTimeoutMs: number;
  /** Pause after RunPod answers 429 (runpod-python: 5 s). @defaultValue 5000 (env GPU_WORKER_TOO_MANY_REQUESTS_BACKOFF_MS) */
  tooManyRequestsBackoffMs: number;
  /**
   * Pause after a failed job-take or job-stop call (network fault, 5xx). runpod-python waits 1 s in
   * its stop loop and not at all in its take loop, which spins while RunPod is unreachable; we wait
   * in both. @defaultValue 1000 (env GPU_WORKER_ERROR_BACKOFF_MS)
   */
  errorBackoffMs: number;
  /** Tries of one result post, the first included (runpod-python: aiohttp_retry attempts=3). @defaultValue 3 (env GPU_WORKER_RESULT_ATTEMPTS) */
  resultAttempts: number;
  /**
   * Unit of the pause between result tries: Fibonacci multiples 1, 2, 3, capped at 3 (runpod-python's
   * FibonacciRetry: 1 s, 2 s). @defaultValue 1000 (env GPU_WORKER_RESULT_RETRY_MS)
   */
  resultRetryMs: number;
  /** Longest single HTTP call other than the long polls (result, progress, ping). @defaultValue 30000 (env GPU_WORKER_REQUEST_TIMEOUT_MS) */
  requestTimeoutMs: number;
}

export function compileProductionOptions(env: Env, workerId: string): ProductionOptions {
  const e = parseEnv(
    {
      RUNPOD_WEBHOOK_GET_JOB: z.string().url(),
      RUNPOD_WEBHOOK_POST_OUTPUT: z.string().url().optional(),
      RUNPOD_WEBHOOK_PING: z.string().url().optional(),
      RUNPOD_PING_INTERVAL: envInt(10_000, 100),
      RUNPOD_AI_API_KEY: z.string().default(''),
      GPU_WORKER_LONG_POLL_MS: envInt(90_000, 100),
      GPU_WORKER_TOO_MANY_REQUESTS_BACKOFF_MS: envInt(5000, 0),
      GPU_WORKER_ERROR_BACKOFF_MS: envInt(1000, 0),
      GPU_WORKER_RESULT_ATTEMPTS: envInt(3, 1, 100),
      GPU_WORKER_RESULT_RETRY_MS: envInt(1000, 0),
      GPU_WORKER_REQUEST_TIMEOUT_MS: envInt(30_000, 100),
    },
    env,
  );
  // runpod-python falls back to the literal "JOB_DONE_URL" and loses every result; refuse to start instead.
  if (e.RUNPOD_WEBHOOK_POST_OUTPUT === undefined) {
    throw new ConfigError('invalid configuration:\n  RUNPOD_WEBHOOK_POST_OUTPUT: required when RUNPOD_WEBHOOK_GET_JOB is set');
  }
  const takeUrl = jobTakeUrl(e.RUNPOD_WEBHOOK_GET_JOB, workerId);
  return {
    jobTakeUrl: takeUrl,
    jobStopUrl: jobStopUrl(takeUrl),
    jobDoneUrlTemplate: jobDoneUrlTemplate(e.RUNPOD_WEBHOOK_POST_OUTPUT, workerId),
    pingUrl: e.RUNPOD_WEBHOOK_PING === undefined ? undefined : pingUrl(e.RUNPOD_WEBHOOK_PING, workerId),
    pingIntervalMs: e.RUNPOD_PING_INTERVAL,
    apiKey: e.RUNPOD_AI_API_KEY,
    longPollTimeoutMs: e.GPU_WORKER_LONG_POLL_MS,
    tooManyRequestsBackoffMs: e.GPU_WORKER_TOO_MANY_REQUESTS_BACKOFF_MS,
    errorBackoffMs: e.GPU_WORKER_ERROR_BACKOFF_MS,
    resultAttempts: e.GPU_WORKER_RESULT_ATTEMPTS,
    resultRetryMs: e.GPU_WORKER_RESULT_RETRY_MS,
    requestTimeoutMs: e.GPU_WORKER_REQUEST_TIMEOUT_MS,
  };
}
