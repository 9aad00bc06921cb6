import { z } from 'zod';
import { envInt, envUrl, parseEnv, type Env } from '../src/config/env';
import { compileRedisOptions, type RedisOptions } from '../src/config/common-options';
import { compileExecutorOptions, parseBlockConcurrency, type ExecutorOptions } from './executor/executor-options';

export interface WorkerOptions {
  redis: RedisOptions;
  executor: ExecutorOptions;
  /** Runs one worker process drives at once. @defaultValue 100 (env WORKER_CONCURRENCY) */
  concurrency: number;
  /** @defaultValue http://127.0.0.1:8010/v2/switchyard (env RUNPOD_ENDPOINT_URL) */
  runpodEndpointUrl: string;
  /** (env RUNPOD_API_KEY) */
  runpodApiKey: string | undefined;
  /** Global per-block limits, e.g. {"detect.objects":2}. (env BLOCK_CONCURRENCY) */
  blockConcurrency: Map<string, number>;
  /** BullMQ lock on a run's job; a dead worker's runs move on after about this long. @defaultValue 10000 (env JOB_LOCK_MS) */
  jobLockMs: number;
  /** How often BullMQ looks for jobs of dead workers. @defaultValue 5000 (env STALLED_INTERVAL_MS) */
  stalledIntervalMs: number;
  /** SIGTERM waits this long for runs to be handed back. @defaultValue 10000 (env SHUTDOWN_GRACE_MS) */
  shutdownGraceMs: number;
}

export function compileWorkerOptions(env: Env): WorkerOptions {
  const e = parseEnv(
    {
      WORKER_CONCURRENCY: envInt(100, 1, 10_000),
      RUNPOD_ENDPOINT_URL: envUrl('http://127.0.0.1:8010/v2/switchyard'),
      RUNPOD_API_KEY: z.string().optional(),
      BLOCK_CONCURRENCY: z.string().optional(),
      JOB_LOCK_MS: envInt(10_000, 1000),
      STALLED_INTERVAL_MS: envInt(5_000, 500),
      SHUTDOWN_GRACE_MS: envInt(10_000, 100),
    },
    env,
  );
  return {
    redis: compileRedisOptions(env),
    executor: compileExecutorOptions(env),
    concurrency: e.WORKER_CONCURRENCY,
    runpodEndpointUrl: e.RUNPOD_ENDPOINT_URL,
    runpodApiKey: e.RUNPOD_API_KEY,
    blockConcurrency: parseBlockConcurrency(e.BLOCK_CONCURRENCY),
    jobLockMs: e.JOB_LOCK_MS,
    stalledIntervalMs: e.STALLED_INTERVAL_MS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
