import { Redis } from 'ioredis';
import { SwitchyardClient } from '../../src/client/switchyard-client';
import { dropDatabase } from '../../src/stack/database-setup';
import { randomSecret, startStack, type RunningStack, type StackOptions } from '../../src/stack/stack';

export interface BenchStack extends RunningStack {
  client: SwitchyardClient;
  teardown(): Promise<void>;
}

const ADMIN_URL = process.env.DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const BENCH_REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The whole stack as real processes, on free ports, with its own database and Redis prefix. */
export async function startBenchStack(overrides: Partial<StackOptions> = {}): Promise<BenchStack> {
  const suffix = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const options: StackOptions = {
    adminUrl: ADMIN_URL,
    database: `sy_bench_${suffix}`,
    redisUrl: BENCH_REDIS_URL,
    redisPrefix: `sybench:${suffix}:`,
    apiPort: 0,
    postgrestPort: 0,
    gpuWorkerPort: 0,
    jwtSecret: randomSecret(32),
    bootstrapKey: `sy_bench_${randomSecret(16)}`,
    runpodApiKey: randomSecret(16),
    workers: 1,
    writers: 1,
    env: { LOG_LEVEL: 'warn' },
    quiet: true,
    readyTimeoutMs: 60_000,
    ...overrides,
  };
  const stack = await startStack(options);
  const client = new SwitchyardClient({ url: stack.apiUrl, apiKey: stack.bootstrapKey });
  return {
    ...stack,
    client,
    async teardown() {
      await client.close();
      await stack.stop();
      const redis = new Redis(options.redisUrl);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${options.redisPrefix}*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
      await dropDatabase(options.adminUrl, options.database);
    },
  };
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
}

export const fmt = (n: number, digits = 1): string => (Number.isFinite(n) ? n.toFixed(digits) : String(n));
