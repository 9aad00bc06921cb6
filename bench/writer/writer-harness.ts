import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { SupabaseClient } from '@supabase/supabase-js';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import type { SupabaseOptions } from '../../src/config/common-options';
import { projectRoot } from '../../src/paths';
import { RedisKeys } from '../../src/redis/keys';
import type { ManagedChild } from '../../src/stack/child-process';
import { dropDatabase, prepareDatabase } from '../../src/stack/database-setup';
import { freePort } from '../../src/stack/free-port';
import { startPostgrest, type PostgrestOptions } from '../../src/stack/postgrest-process';
import { createServiceClient } from '../../src/store/supabase-client';

/**
 * What the writer needs and nothing more, for its tests and benchmarks: a database of its own
 * prepared as a Supabase project (every migration), PostgREST in front of it as a real process,
 * and a Redis key prefix of its own. PostgREST can be stopped and started again (an outage).
 */
export interface WriterHarness {
  redisUrl: string;
  redisPrefix: string;
  keys: RedisKeys;
  /** A plain connection for setting up and reading back (not the writer's path). */
  redis: Redis;
  /** Superuser connection to the harness's database, for assertions that bypass RLS. */
  pg: Client;
  /** Its URL. */
  databaseUrl: string;
  jwtSecret: string;
  supabaseUrl: string;
  supabase: SupabaseOptions;
  /** Environment for a writer process (`node dist/worker/writer/main.js`) wired to this harness. */
  writerEnv(extra?: Record<string, string>): Record<string, string>;
  serviceClient(fetchImpl?: typeof fetch): Promise<SupabaseClient>;
  stopPostgrest(): Promise<void>;
  startPostgrest(): Promise<void>;
  /** Stops PostgREST, drops the database, deletes the Redis keys. */
  stop(): Promise<void>;
}

export const HARNESS_ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const HARNESS_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

const secret = (bytes: number): string => randomBytes(bytes).toString('base64url');

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length > 0) await redis.del(...found);
  } while (cursor !== '0');
}

export async function startWriterHarness(name: string, options: { quiet?: boolean } = {}): Promise<WriterHarness> {
  const suffix = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const database = `sy_${name}_${suffix}`;
  const redisPrefix = `sy${name}:${suffix}:`;
  const authenticatorPassword = secret(18);
  const jwtSecret = secret(32);
  await prepareDatabase({
    adminUrl: HARNESS_ADMIN_URL,
    database,
    authenticatorPassword,
    migrationsDir: join(projectRoot(), 'supabase', 'migrations'),
  });
  const admin = new URL(HARNESS_ADMIN_URL);
  const postgrestOptions: PostgrestOptions = {
    dbUri: `postgres://authenticator:${encodeURIComponent(authenticatorPassword)}@${admin.hostname}:${admin.port || 5432}/${database}`,
    jwtSecret,
    port: await freePort(),
    adminPort: await freePort(),
    quiet: options.quiet ?? true,
  };
  let postgrest: ManagedChild | undefined = await startPostgrest(postgrestOptions);
  const dbUrl = new URL(HARNESS_ADMIN_URL);
  dbUrl.pathname = `/${database}`;
  const pg = new Client({ connectionString: dbUrl.toString() });
  await pg.connect();
  const redis = new Redis(HARNESS_REDIS_URL, { maxRetriesPerRequest: null });
  const supabaseUrl = `http://127.0.0.1:${postgrestOptions.port}`;
  const supabase: SupabaseOptions = { url: supabaseUrl, serviceRoleKey: undefined, jwtSecret, directPostgrest: true };
  return {
    redisUrl: HARNESS_REDIS_URL,
    redisPrefix,
    keys: new RedisKeys(redisPrefix),
    redis,
    pg,
    databaseUrl: dbUrl.toString(),
    jwtSecret,
    supabaseUrl,
    supabase,
    writerEnv: (extra = {}) => ({
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      REDIS_URL: HARNESS_REDIS_URL,
      SWITCHYARD_REDIS_PREFIX: redisPrefix,
      SUPABASE_URL: supabaseUrl,
      SUPABASE_DIRECT_POSTGREST: 'true',
      SUPABASE_JWT_SECRET: jwtSecret,
      ...extra,
    }),
    serviceClient: (fetchImpl) => createServiceClient(supabase, fetchImpl),
    stopPostgrest: async () => {
      await postgrest?.stop();
      postgrest = undefined;
    },
    startPostgrest: async () => {
      postgrest = await startPostgrest(postgrestOptions);
    },
    stop: async () => {
      await postgrest?.stop();
      postgrest = undefined;
      await pg.end().catch(() => undefined);
      await deleteKeys(redis, redisPrefix);
      await redis.quit();
      await dropDatabase(HARNESS_ADMIN_URL, database);
    },
  };
}
