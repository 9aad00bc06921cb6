import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { SwitchyardClient } from '../../src/client/switchyard-client';
import { projectRoot } from '../../src/paths';
import { dropDatabase } from '../../src/stack/database-setup';
import { randomSecret, startStack, type RunningStack, type StackOptions } from '../../src/stack/stack';

export const ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export interface TestStack extends RunningStack {
  client: SwitchyardClient;
  redis: Redis;
  /** Stops the stack, drops its database and deletes its Redis keys. */
  teardown(): Promise<void>;
}

/** A suffix unique to this test file's run, for database names and Redis prefixes. */
export function uniqueSuffix(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

/**
 * The whole stack (PostgREST, gpu-worker, writer, worker, API as real processes) on free ports, with
 * a database and a Redis prefix of its own. Needs the compiled dist/ (`npm test` builds it first).
 * Set SWITCHYARD_TEST_LOGS=1 to see the processes' output.
 */
export async function startTestStack(overrides: Partial<StackOptions> = {}): Promise<TestStack> {
  const root = projectRoot();
  if (!existsSync(join(root, 'dist', 'src', 'api', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm test` (it builds first) or `npm run build`');
  }
  const suffix = uniqueSuffix();
  const options: StackOptions = {
    adminUrl: ADMIN_URL,
    database: `sy_test_${suffix}`,
    redisUrl: REDIS_URL,
    redisPrefix: `syt:${suffix}:`,
    apiPort: 0,
    postgrestPort: 0,
    gpuWorkerPort: 0,
    jwtSecret: randomSecret(32),
    bootstrapKey: `sy_test_${randomSecret(16)}`,
    runpodApiKey: randomSecret(16),
    workers: 1,
    writers: 1,
    env: {
      LOG_LEVEL: process.env.SWITCHYARD_TEST_LOGS ? 'info' : 'warn',
      STALLED_INTERVAL_MS: '1000',
      JOB_LOCK_MS: '3000',
      RUN_LEASE_MS: '3000',
    },
    quiet: !process.env.SWITCHYARD_TEST_LOGS,
    readyTimeoutMs: 60_000,
    ...overrides,
  };
  const stack = await startStack(options);
  const client = new SwitchyardClient({ url: stack.apiUrl, apiKey: stack.bootstrapKey });
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  return {
    ...stack,
    client,
    redis,
    async teardown() {
      await client.close();
      await stack.stop();
      await deleteKeys(redis, options.redisPrefix);
      await redis.quit();
      await dropDatabase(options.adminUrl, options.database);
    },
  };
}
