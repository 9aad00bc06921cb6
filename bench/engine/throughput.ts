import { Queue, Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RunService } from '../../src/api/run-service';
import { systemClock } from '../../src/core/clock';
import { DEFAULT_DEFINITION_LIMITS } from '../../src/core/definition';
import { RunQueue } from '../../src/queue/run-queue';
import { RedisKeys } from '../../src/redis/keys';
import { RunStore } from '../../src/redis/run-store';
import { BENCH_REDIS_URL, fmt, type BenchStack } from '../support/bench-stack';
import { sleep } from './run-and-wait';

const RUNS = 3000;
const IN_FLIGHT = 200;

/** Calls `start(i)` for i < total with at most `inFlight` pending at once. */
async function pool(total: number, inFlight: number, start: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await start(next++);
    }),
  );
}

/** Raw BullMQ on the same Redis: enqueue and process `total` no-op jobs; jobs per second. */
async function rawBullmq(total: number): Promise<number> {
  const prefix = `sybench-raw:${randomUUID()}`;
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection, prefix });
  let done = 0;
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  const worker = new Worker('noop', async () => undefined, { connection: new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null }), prefix, concurrency: 10 });
  worker.on('completed', () => {
    if (++done === total) resolveAll();
  });
  await worker.waitUntilReady();
  const started = performance.now();
  await pool(total, IN_FLIGHT, (i) => queue.add('noop', { i }, { removeOnComplete: true }));
  await all;
  const rate = (total * 1000) / (performance.now() - started);
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  await connection.quit();
  return rate;
}

/**
 * 1-node debug.sleep(0) runs per second, from enqueue (RunService.runWorkflow, what the mutation
 * calls) to RUN_SUCCEEDED, against raw BullMQ no-op jobs (enqueue + process) on the same Redis in
 * the same run. Goal: >= 20% of raw BullMQ.
 */
export async function benchThroughput(stack: BenchStack): Promise<boolean> {
  const keys = new RedisKeys(stack.options.redisPrefix);
  const redis = new Redis(stack.options.redisUrl, { maxRetriesPerRequest: null });
  const subscriber = new Redis(stack.options.redisUrl);
  const queue = new RunQueue(new Redis(stack.options.redisUrl, { maxRetriesPerRequest: null }), keys.bullPrefix());
  const runs = new RunService(new RunStore(redis, keys), queue, systemClock, {
    limits: DEFAULT_DEFINITION_LIMITS,
    idempotencyTtlSeconds: 60,
    retentionSeconds: 600,
  });
  const workflow = {
    id: randomUUID(),
    tenantId: 'default',
    name: 'throughput',
    version: 1,
    definition: { nodes: [sleep('only', 0)] },
    createdAt: new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  };

  let succeeded = 0;
  let target = 0;
  let resolveAll: (() => void) | undefined;
  subscriber.on('pmessage', (_p: string, _c: string, message: string) => {
    if (message.includes('"type":"RUN_SUCCEEDED"') && ++succeeded === target) resolveAll?.();
  });
  await subscriber.psubscribe(keys.runChannel('*'));

  const measure = async (total: number): Promise<number> => {
    succeeded = 0;
    target = total;
    const all = new Promise<void>((r) => (resolveAll = r));
    const started = performance.now();
    await pool(total, IN_FLIGHT, () => runs.runWorkflow({ tenantId: 'default', workflow, inputs: {}, idempotencyKey: undefined, priority: 0 }));
    await all;
    return (total * 1000) / (performance.now() - started);
  };

  await measure(200); // warm up
  const ours = await measure(RUNS);
  const baseline = await rawBullmq(RUNS);
  const ratio = ours / baseline;
  console.log(`\n## Throughput: 1-node runs (debug.sleep 0 ms), enqueue to RUN_SUCCEEDED, ${RUNS} each`);
  console.log('| system | per second |');
  console.log('| --- | --- |');
  console.log(`| Switchyard runs | ${fmt(ours, 0)} |`);
  console.log(`| raw BullMQ no-op jobs (concurrency 10) | ${fmt(baseline, 0)} |`);
  console.log(`| ratio | ${fmt(ratio * 100, 1)}% (goal >= 20%: ${ratio >= 0.2 ? 'met' : 'MISSED'}) |`);

  await subscriber.quit();
  await queue.close();
  await redis.quit();
  return ratio >= 0.2;
}
