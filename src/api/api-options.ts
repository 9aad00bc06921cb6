import { z } from 'zod';
import { compileRedisOptions, compileSupabaseOptions, type RedisOptions, type SupabaseOptions } from '../config/common-options';
import { envInt, parseEnv, type Env } from '../config/env';
import type { DefinitionLimits } from '../core/definition';

export interface ApiOptions {
  /** @defaultValue 127.0.0.1 (env HOST) */
  host: string;
  /** @defaultValue 4000 (env PORT) */
  port: number;
  /** A key of the default tenant, valid while the server runs with it. (env SWITCHYARD_BOOTSTRAP_KEY) */
  bootstrapKey: string | undefined;
  /** @defaultValue 16 MiB (env MAX_BODY_BYTES) */
  maxBodyBytes: number;
  /** @defaultValue 500 nodes, 1 MB (env MAX_DEFINITION_NODES, MAX_DEFINITION_BYTES) */
  limits: DefinitionLimits;
  /** Seconds a finished run stays in Redis. @defaultValue 86400 (env RUN_RETENTION_SECONDS) */
  retentionSeconds: number;
  /** @defaultValue 10000 (env SHUTDOWN_GRACE_MS) */
  shutdownGraceMs: number;
  redis: RedisOptions;
  supabase: SupabaseOptions;
}

export function compileApiOptions(env: Env): ApiOptions {
  const e = parseEnv(
    {
      HOST: z.string().min(1).default('127.0.0.1'),
      PORT: envInt(4000, 0, 65_535),
      SWITCHYARD_BOOTSTRAP_KEY: z.string().min(16, 'must be at least 16 characters').optional(),
      MAX_BODY_BYTES: envInt(16 * 1024 * 1024, 1024),
      MAX_DEFINITION_NODES: envInt(500, 1),
      MAX_DEFINITION_BYTES: envInt(1_000_000, 100),
      RUN_RETENTION_SECONDS: envInt(86_400, 1),
      SHUTDOWN_GRACE_MS: envInt(10_000, 0),
    },
    env,
  );
  return {
    host: e.HOST,
    port: e.PORT,
    bootstrapKey: e.SWITCHYARD_BOOTSTRAP_KEY,
    maxBodyBytes: e.MAX_BODY_BYTES,
    limits: { maxNodes: e.MAX_DEFINITION_NODES, maxDefinitionBytes: e.MAX_DEFINITION_BYTES },
    retentionSeconds: e.RUN_RETENTION_SECONDS,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    redis: compileRedisOptions(env),
    supabase: compileSupabaseOptions(env),
  };
}
