import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { envInt, envUrl, parseEnv, type Env } from '../../src/config/env';
import { compileProductionOptions, type ProductionOptions } from './production/production-options';

/** How the gpu-worker gets its jobs. */
export enum GpuWorkerMode {
  /** Serves RunPod's endpoint API itself (`/v2/{endpointId}/run`, ...): laptops, CI, docker compose. */
  Local = 'local',
  /** Inside a RunPod serverless container: takes jobs from RunPod's job-take URL, as runpod-python does. */
  Production = 'production',
}

export interface GpuWorkerOptions {
  /** Production when RunPod sets RUNPOD_WEBHOOK_GET_JOB (as runpod-python decides), local otherwise. */
  mode: GpuWorkerMode;
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
  /**
   * A job's progress goes out (Redis notice, RunPod progress update) at most once per this long;
   * the latest value is sent when the interval ends. @defaultValue 1000 (env GPU_WORKER_PROGRESS_INTERVAL_MS)
   */
  progressIntervalMs: number;
  /** Longest wait of one GET /stream/{id} for something new (RunPod holds it open too). @defaultValue 5000 (env GPU_WORKER_STREAM_WAIT_MS) */
  streamWaitMs: number;
  /** When set, progress and finished jobs are announced on Redis (the worker's fast path). (env REDIS_URL) */
  redisUrl: string | undefined;
  /** @defaultValue "sy:" (env SWITCHYARD_REDIS_PREFIX) */
  redisPrefix: string;
  /**
   * RunPod's worker id, in URLs and error payloads. @defaultValue "local" in local mode; a random
   * UUID in production, as runpod-python does when RunPod sets none (env RUNPOD_POD_ID)
   */
  workerId: string;
  /** SIGTERM waits this long for jobs in progress. @defaultValue 30000 (env SHUTDOWN_GRACE_MS) */
  shutdownGraceMs: number;
  /** RunPod's worker protocol settings; present exactly in production mode. */
  production: ProductionOptions | undefined;
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
      GPU_WORKER_PROGRESS_INTERVAL_MS: envInt(1000, 0),
      GPU_WORKER_STREAM_WAIT_MS: envInt(5000, 0, 90_000),
      REDIS_URL: envUrl('redis://127.0.0.1:6379').optional(),
      SWITCHYARD_REDIS_PREFIX: z.string().default('sy:'),
      RUNPOD_POD_ID: z.string().optional(),
      RUNPOD_WEBHOOK_GET_JOB: z.string().optional(),
      SHUTDOWN_GRACE_MS: envInt(30_000, 0),
    },
    env,
  );
  const mode = e.RUNPOD_WEBHOOK_GET_JOB === undefined ? GpuWorkerMode.Local : GpuWorkerMode.Production;
  const workerId = e.RUNPOD_POD_ID ?? (mode === GpuWorkerMode.Production ? randomUUID() : 'local');
  return {
    mode,
    host: e.GPU_WORKER_HOST,
    port: e.GPU_WORKER_PORT,
    apiKey: e.RUNPOD_API_KEY,
    concurrency: e.GPU_WORKER_CONCURRENCY,
    maxQueued: e.GPU_WORKER_MAX_QUEUED,
    retainFinishedMs: e.GPU_WORKER_RETAIN_MS,
    progressIntervalMs: e.GPU_WORKER_PROGRESS_INTERVAL_MS,
    streamWaitMs: e.GPU_WORKER_STREAM_WAIT_MS,
    redisUrl: env.REDIS_URL ? e.REDIS_URL : undefined,
    redisPrefix: e.SWITCHYARD_REDIS_PREFIX,
    workerId,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    production: mode === GpuWorkerMode.Production ? compileProductionOptions(env, workerId) : undefined,
  };
}
