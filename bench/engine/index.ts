import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/keys';
import { startBenchStack } from '../support/bench-stack';
import { runFinishedInRedis } from './run-and-wait';
import { benchOverhead } from './overhead';
import { benchParallelism } from './parallelism';
import { benchThroughput } from './throughput';

/** The engine benchmarks (issue 3), each against its baseline in the same run. */
export async function main(): Promise<void> {
  console.log('# Engine benchmarks (whole stack as real processes on this machine)');
  const stack = await startBenchStack();
  const redis = new Redis(stack.options.redisUrl);
  const finished = runFinishedInRedis(redis, new RedisKeys(stack.options.redisPrefix));
  try {
    await benchParallelism(stack, finished);
    await benchOverhead(stack, finished);
    await benchThroughput(stack);
  } finally {
    await redis.quit();
    await stack.teardown();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
