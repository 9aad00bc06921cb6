import { z } from 'zod';
import { envInt, envUrl, parseEnv, type Env } from '../../src/config/env';

export interface GpuWorkerOptions {
  /** @defaultValue 127.0.0.1 (env GPU_WORKER_HOST) */
  host: string;
  /** Port of the local RunPod endpoint API. @defaultValue 8010 (env GPU_WORKER_PORT) */
  port: number;
  /** Required on every request when set, as on RunPod. (env RUNPOD_API_KEY) */
  apiKey: string | undefined;
  /** Jobs in progress at once; model work is further batched per model. @defaultValue 64 (env GPU_WORKER_CONCURRENCY) */
  concurrency: number;
  /** Jobs waiting at most before /run answers 429. @defaultValue 10000 (env GPU_WORKER_MAX_QUEUED) */
  maxQueued: number;
  /** Finished jobs stay readable this long. @defaultValue 1800000 (30 min, as RunPod) (env GPU_WORKER_RETAIN_MS) */
  retainFinishedMs: number;
  /** When set, finished jobs are announced on Redis (the worker's fast path). (env REDIS_URL) */
  redisUrl: string | undefined;
  /** @defaultValue "sy:" (env SWITCHYARD_REDIS_PREFIX) */
  redisPrefix: string;
  /** @defaultValue local (env RUNPOD_POD_ID, RunPod's worker id) */
  workerId: string;
  /** SIGTERM waits this long for jobs in progress. @defaultValue 30000 (env SHUTDOWN_GRACE_MS) */
  shutdownGraceMs: number;
}

export function compileGpuWorkerOptions(env: Env): GpuWorkerOptions {
  const e = parseEnv(
    {
      GPU_WORKER_HOST: z.string().min(1).default('127.0.0.1'),
      GPU_WORKER_PORT: envInt(8010, 0, 65_535),
      RUNPOD_API_KEY: z.string().optional(),
      GPU_WORKER_CONCURRENCY: envInt(64, 1, 10_000),
      GPU_WORKER_MAX_QUEUED: envInt(10_000, 1),
      GPU_WORKER_RETAIN_MS: envInt(1_800_000, 1000),
      REDIS_URL: envUrl('redis://127.0.0.1:6379').optional(),
      SWITCHYARD_REDIS_PREFIX: z.string().default('sy:'),
      RUNPOD_POD_ID: z.string().default('local'),
      SHUTDOWN_GRACE_MS: envInt(30_000, 0),
    },
    env,
  );
  return {
    host: e.GPU_WORKER_HOST,
    port: e.GPU_WORKER_PORT,
    apiKey: e.RUNPOD_API_KEY,
    concurrency: e.GPU_WORKER_CONCURRENCY,
    maxQueued: e.GPU_WORKER_MAX_QUEUED,
    retainFinishedMs: e.GPU_WORKER_RETAIN_MS,
    redisUrl: env.REDIS_URL ? e.REDIS_URL : undefined,
    redisPrefix: e.SWITCHYARD_REDIS_PREFIX,
    workerId: e.RUNPOD_POD_ID,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
