import { z } from 'zod';
import { envInt, parseEnv, type Env } from '../../src/config/env';

export interface ExecutorOptions {
  /** A run's lease lasts this long unless renewed (every third of it). @defaultValue 10000 (env RUN_LEASE_MS) */
  leaseMs: number;
  /** Nodes of one run in flight at once, at most. @defaultValue 64 (env MAX_PARALLEL_NODES) */
  maxParallelNodes: number;
  /** Seconds a finished run's state and events stay in Redis (then Postgres serves them). @defaultValue 86400 (env RUN_RETENTION_SECONDS) */
  retentionSeconds: number;
  /** NODE_PROGRESS events per node at most once per this many ms. @defaultValue 250 (env PROGRESS_INTERVAL_MS) */
  progressIntervalMs: number;
  /**
   * A GPU node's accepted job (its id, and NODE_STARTED) is written at most this long after /run
   * answers, or with the node's result if that comes first: a fast node's start and end then cost
   * one Redis round trip. 0 writes each start at once. @defaultValue 20 (env START_RECORD_DELAY_MS)
   */
  startRecordDelayMs: number;
}

export function compileExecutorOptions(env: Env): ExecutorOptions {
  const e = parseEnv(
    {
      RUN_LEASE_MS: envInt(10_000, 500),
      MAX_PARALLEL_NODES: envInt(64, 1, 10_000),
      RUN_RETENTION_SECONDS: envInt(86_400, 1),
      PROGRESS_INTERVAL_MS: envInt(250, 0),
      START_RECORD_DELAY_MS: envInt(20, 0, 1000),
    },
    env,
  );
  return {
    leaseMs: e.RUN_LEASE_MS,
    maxParallelNodes: e.MAX_PARALLEL_NODES,
    retentionSeconds: e.RUN_RETENTION_SECONDS,
    progressIntervalMs: e.PROGRESS_INTERVAL_MS,
    startRecordDelayMs: e.START_RECORD_DELAY_MS,
  };
}

/** `{"detect.objects": 2}` -> a map; blocks not named are unlimited. (env BLOCK_CONCURRENCY) */
export function parseBlockConcurrency(text: string | undefined): Map<string, number> {
  if (!text) return new Map();
  const parsed = z.record(z.string(), z.number().int().min(1)).safeParse(JSON.parse(text));
  if (!parsed.success) throw new Error(`BLOCK_CONCURRENCY must map block types to positive integers: ${parsed.error.message}`);
  return new Map(Object.entries(parsed.data));
}
