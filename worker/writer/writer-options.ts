import { hostname } from 'node:os';
import { z } from 'zod';
import { compileRedisOptions, compileSupabaseOptions, type RedisOptions, type SupabaseOptions } from '../../src/config/common-options';
import { envInt, parseEnv, type Env } from '../../src/config/env';

export interface WriterOptions {
  /** Consumer group every writer joins. @defaultValue "writers" (env WRITER_GROUP) */
  group: string;
  /** This writer's name in the group; unique per process. @defaultValue "<host>-<pid>" (env WRITER_CONSUMER) */
  consumer: string;
  /** @defaultValue 1000 (env WRITER_MAX_BATCH_SIZE) */
  maxBatchSize: number;
  /** A batch is written at most this long after its first event was read. @defaultValue 50 (env WRITER_MAX_BATCH_WAIT_MS) */
  maxBatchWaitMs: number;
  /** How long an idle read blocks. @defaultValue 500 */
  idleBlockMs: number;
  /** Entries a writer read but did not acknowledge for this long are taken over. @defaultValue 10000 (env WRITER_CLAIM_IDLE_MS) */
  claimIdleMs: number;
  /** @defaultValue 2000 */
  claimIntervalMs: number;
  /** Backoff of failed batch writes. @defaultValue 100 .. 5000 (env WRITER_RETRY_INITIAL_MS, WRITER_RETRY_MAX_MS) */
  retryInitialMs: number;
  retryMaxMs: number;
  /** An event the database rejects this many times goes to the dead letters. @defaultValue 5 (env WRITER_MAX_ATTEMPTS) */
  maxAttempts: number;
  /** Past this many entries in the stream, the writer reports backpressure. @defaultValue 100000 (env WRITER_BACKPRESSURE_LENGTH) */
  backpressureLength: number;
  /** @defaultValue 1000 */
  inspectIntervalMs: number;
  /** Port of the writer's /healthz and /metrics; 0 picks one, unset serves none. (env WRITER_METRICS_PORT) */
  metricsPort: number | undefined;
  /** @defaultValue 10000 (env SHUTDOWN_GRACE_MS) */
  shutdownGraceMs: number;
}

export interface WriterProcessOptions {
  writer: WriterOptions;
  redis: RedisOptions;
  supabase: SupabaseOptions;
}

export function compileWriterOptions(env: Env): WriterProcessOptions {
  const e = parseEnv(
    {
      WRITER_GROUP: z.string().min(1).default('writers'),
      WRITER_CONSUMER: z.string().min(1).default(`${hostname()}-${process.pid}`),
      WRITER_MAX_BATCH_SIZE: envInt(1000, 1, 5000),
      WRITER_MAX_BATCH_WAIT_MS: envInt(50, 0),
      WRITER_CLAIM_IDLE_MS: envInt(10_000, 100),
      WRITER_RETRY_INITIAL_MS: envInt(100, 1),
      WRITER_RETRY_MAX_MS: envInt(5_000, 1),
      WRITER_MAX_ATTEMPTS: envInt(5, 1),
      WRITER_BACKPRESSURE_LENGTH: envInt(100_000, 1),
      WRITER_METRICS_PORT: z.coerce.number().int().min(0).max(65_535).optional(),
      SHUTDOWN_GRACE_MS: envInt(10_000, 0),
    },
    env,
  );
  return {
    writer: {
      group: e.WRITER_GROUP,
      consumer: e.WRITER_CONSUMER,
      maxBatchSize: e.WRITER_MAX_BATCH_SIZE,
      maxBatchWaitMs: e.WRITER_MAX_BATCH_WAIT_MS,
      idleBlockMs: 500,
      claimIdleMs: e.WRITER_CLAIM_IDLE_MS,
      claimIntervalMs: Math.min(2000, e.WRITER_CLAIM_IDLE_MS),
      retryInitialMs: e.WRITER_RETRY_INITIAL_MS,
      retryMaxMs: e.WRITER_RETRY_MAX_MS,
      maxAttempts: e.WRITER_MAX_ATTEMPTS,
      backpressureLength: e.WRITER_BACKPRESSURE_LENGTH,
      inspectIntervalMs: 1000,
      metricsPort: e.WRITER_METRICS_PORT,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    },
    redis: compileRedisOptions(env),
    supabase: compileSupabaseOptions(env),
  };
}
