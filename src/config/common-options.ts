import { z } from 'zod';
import { ConfigError, envBool, envUrl, parseEnv, type Env } from './env';

/** What every Switchyard process needs: where Redis is and which prefix its keys have. */
export interface RedisOptions {
  /** @defaultValue redis://127.0.0.1:6379 (env REDIS_URL) */
  redisUrl: string;
  /** Prefix of every key, channel and BullMQ queue. @defaultValue "sy:" (env SWITCHYARD_REDIS_PREFIX) */
  redisPrefix: string;
}

export function compileRedisOptions(env: Env): RedisOptions {
  const e = parseEnv(
    {
      REDIS_URL: envUrl('redis://127.0.0.1:6379'),
      SWITCHYARD_REDIS_PREFIX: z
        .string()
        .regex(/^[A-Za-z0-9:_.-]{1,64}$/)
        .default('sy:'),
    },
    env,
  );
  return { redisUrl: e.REDIS_URL, redisPrefix: e.SWITCHYARD_REDIS_PREFIX };
}

/** Where the Supabase (PostgREST) API is and how to authenticate as the service role. */
export interface SupabaseOptions {
  /** Project URL; locally, the PostgREST that `npm start` runs. @defaultValue http://127.0.0.1:54321 (env SUPABASE_URL) */
  url: string;
  /**
   * Service-role key. When unset it is signed from `jwtSecret` (local stack only).
   * (env SUPABASE_SERVICE_ROLE_KEY)
   */
  serviceRoleKey: string | undefined;
  /** The JWT secret PostgREST verifies with. (env SUPABASE_JWT_SECRET) */
  jwtSecret: string | undefined;
  /**
   * True when `url` is a bare PostgREST rather than Supabase's gateway: requests to `/rest/v1/x`
   * are sent to `/x`. @defaultValue false (env SUPABASE_DIRECT_POSTGREST)
   */
  directPostgrest: boolean;
}

export function compileSupabaseOptions(env: Env): SupabaseOptions {
  const e = parseEnv(
    {
      SUPABASE_URL: envUrl('http://127.0.0.1:54321'),
      SUPABASE_SERVICE_ROLE_KEY: z.string().min(20).optional(),
      SUPABASE_JWT_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
      SUPABASE_DIRECT_POSTGREST: envBool(false),
    },
    env,
  );
  if (!e.SUPABASE_SERVICE_ROLE_KEY && !e.SUPABASE_JWT_SECRET) {
    throw new ConfigError(
      'invalid configuration: set SUPABASE_SERVICE_ROLE_KEY (or, for a local PostgREST, SUPABASE_JWT_SECRET)',
    );
  }
  return {
    url: e.SUPABASE_URL,
    serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY,
    jwtSecret: e.SUPABASE_JWT_SECRET,
    directPostgrest: e.SUPABASE_DIRECT_POSTGREST,
  };
}
