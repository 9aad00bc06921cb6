import { hostname } from 'node:os';
import { z } from 'zod';
import {
  compileRedisOptions,
  compileSupabaseOptions,
  type RedisOptions,
  type SupabaseOptions,
} from '../../src/config/common-options';
import { envInt, parseEnv, type Env } from '../../src/config/env';

export interface WriterOptions {
  /** Consumer group every writer joins. @defaultValue "writers" (env WRITER_GROUP) */
  group: string;
  /** This writer's name in the group; unique per process. @defaultValue "<host>-<pid>" (env WRITER_CONSUMER) */
  consumer: string;
  /** @defaultValue 1000 (env WRITER_MAX_BATCH_SIZE) */
  maxBatchSize: number;
  /**
   * A batch stops growing once its entries hold this many bytes of event JSON (node outputs may
   * carry images), which bounds both the writer's memory and the size of one request; an event
   * larger than this is written alone. @defaultValue 4194304 (env WRITER_MAX_BATCH_BYTES)
   */
  maxBatchBytes: number;
  /**
   * Batches being written at once. Two overlap one batch's trip through PostgREST with the next
   * one's (about 1.5x the throughput of one); memory holds at most this many batches.
   * @defaultValue 2 (env WRITER_MAX_IN_FLIGHT)
   */
  maxInFlight: number;
  /** Entries one stream read or claim returns at most; with maxBatchBytes it bounds what one batch can overshoot. @defaultValue 250 */
  readCount: number;
  /** A batch is written at most this long after its first event was read. @defaultValue 50 (env WRITER_MAX_BATCH_WAIT_MS) */
  maxBatchWaitMs: number;
  /** Longest a single stream read blocks; it also bounds how long SIGTERM waits for a read to return. @defaultValue 500 */
  idleBlockMs: number;
  /** Entries a writer read but did not acknowledge for this long are taken over. @defaultValue 10000 (env WRITER_CLAIM_IDLE_MS) */
  claimIdleMs: number;
  /** How often to look for such entries. @defaultValue min(2000, claimIdleMs) */
  claimIntervalMs: number;
  /** Backoff of failed writes (batches while the database is away, suspected poison events). @defaultValue 100 .. 5000 (env WRITER_RETRY_INITIAL_MS, WRITER_RETRY_MAX_MS) */
  retryInitialMs: number;
  retryMaxMs: number;
  /** One database request is abandoned (and retried) after this long. @defaultValue 30000 (env WRITER_REQUEST_TIMEOUT_MS) */
  requestTimeoutMs: number;
  /** An event the database rejects this many times goes to the dead letters. @defaultValue 5 (env WRITER_MAX_ATTEMPTS) */
  maxAttempts: number;
  /** Past this many entries in the stream, the writer reports backpressure. @defaultValue 100000 (env WRITER_BACKPRESSURE_LENGTH) */
  backpressureLength: number;
  /** How often the stream's length, pending count and lag are refreshed. @defaultValue 1000 */
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

/** The defaults of the options no variable sets (see WriterOptions). */
export const WRITER_READ_COUNT = 250;
export const WRITER_IDLE_BLOCK_MS = 500;
export const WRITER_INSPECT_INTERVAL_MS = 1000;

export function compileWriterOptions(env: Env): WriterProcessOptions {
  const e = parseEnv(
    {
      WRITER_GROUP: z.string().min(1).default('writers'),
      WRITER_CONSUMER: z.string().min(1).default(`${hostname()}-${process.pid}`),
      WRITER_MAX_BATCH_SIZE: envInt(1000, 1, 5000),
      WRITER_MAX_BATCH_BYTES: envInt(4 * 1024 * 1024, 1024),
      WRITER_MAX_BATCH_WAIT_MS: envInt(50, 0),
      WRITER_MAX_IN_FLIGHT: envInt(2, 1, 16),
      WRITER_CLAIM_IDLE_MS: envInt(10_000, 100),
      WRITER_RETRY_INITIAL_MS: envInt(100, 1),
      WRITER_RETRY_MAX_MS: envInt(5_000, 1),
      WRITER_REQUEST_TIMEOUT_MS: envInt(30_000, 100),
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
      maxBatchBytes: e.WRITER_MAX_BATCH_BYTES,
      maxInFlight: e.WRITER_MAX_IN_FLIGHT,
      readCount: WRITER_READ_COUNT,
      maxBatchWaitMs: e.WRITER_MAX_BATCH_WAIT_MS,
      idleBlockMs: WRITER_IDLE_BLOCK_MS,
      claimIdleMs: e.WRITER_CLAIM_IDLE_MS,
      claimIntervalMs: Math.min(2000, e.WRITER_CLAIM_IDLE_MS),
      retryInitialMs: e.WRITER_RETRY_INITIAL_MS,
      retryMaxMs: Math.max(e.WRITER_RETRY_INITIAL_MS, e.WRITER_RETRY_MAX_MS),
      requestTimeoutMs: e.WRITER_REQUEST_TIMEOUT_MS,
      maxAttempts: e.WRITER_MAX_ATTEMPTS,
      backpressureLength: e.WRITER_BACKPRESSURE_LENGTH,
      inspectIntervalMs: WRITER_INSPECT_INTERVAL_MS,
      metricsPort: e.WRITER_METRICS_PORT,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    },
    redis: compileRedisOptions(env),
    supabase: compileSupabaseOptions(env),
  };
}
