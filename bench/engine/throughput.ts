import { Queue, Worker } from 'bullmq';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { RunService } from '../../src/api/run-service';
import { systemClock } from '../../src/core/clock';
import { DEFAULT_DEFINITION_LIMITS } from '../../src/core/definition';
import { RunQueue } from '../../src/queue/run-queue';
import { RedisKeys } from '../../src/redis/keys';
import { createRedis } from '../../src/redis/redis-connection';
import { RunStore } from '../../src/redis/run-store';
import { BENCH_REDIS_URL, fmt, percentile, type BenchStack } from '../support/bench-stack';
import { sleep } from './run-and-wait';

/** Runs (and raw jobs) per measured round. */
const RUNS_PER_ROUND = 1500;
/**
 * Rounds, alternating Switchyard and raw BullMQ. On a shared machine the speed of both drifts by
 * tens of percent from one minute to the next; alternating rounds and comparing medians keeps that
 * drift out of the ratio, rather than crediting (or blaming) whichever side ran in a fast minute.
 */
const ROUNDS = 3;
const IN_FLIGHT = 200;
/** Runs (and raw jobs) before measuring, so both sides are measured with their hot paths optimised by V8. */
const WARM_UP = 1000;

/** Calls `start(i)` for i < total with at most `inFlight` pending at once. */
async function pool(total: number, inFlight: number, start: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < total) await start(next++);
    }),
  );
}

interface Measurer {
  /** Jobs (or runs) per second over `total`, from the first enqueue to the last completion. */
  measure(total: number): Promise<number>;
  close(): Promise<void>;
}

/** Raw BullMQ on the same Redis: no-op jobs enqueued and processed (concurrency 10). */
async function rawBullmq(): Promise<Measurer> {
  const prefix = `sybench-raw:${randomUUID()}`;
  const connection = new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null });
  const queue = new Queue('noop', { connection, prefix });
  let done = 0;
  let target = 0;
  let reached: (() => void) | undefined;
  const worker = new Worker('noop', async () => undefined, {
    connection: new Redis(BENCH_REDIS_URL, { maxRetriesPerRequest: null }),
    prefix,
    concurrency: 10,
  });
  worker.on('completed', () => {
    if (++done === target) reached?.();
  });
  await worker.waitUntilReady();
  return {
    async measure(total) {
      const all = new Promise<void>((r) => (reached = r));
      target = done + total;
      const started = performance.now();
      await pool(total, IN_FLIGHT, (i) => queue.add('noop', { i }, { removeOnComplete: true }));
      await all;
      return (total * 1000) / (performance.now() - started);
    },
    async close() {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await connection.quit();
    },
  };
}

/**
 * 1-node debug.sleep(0) runs per second, from enqueue (RunService.runWorkflow, what the mutation
 * calls) to RUN_SUCCEEDED, against raw BullMQ no-op jobs (enqueue + process) on the same Redis in
 * the same run. Goal: >= 20% of raw BullMQ.
 */
export async function benchThroughput(stack: BenchStack): Promise<boolean> {
  const keys = new RedisKeys(stack.options.redisPrefix);
  // Connections as the API makes them (auto-pipelined), since this is the mutation's own path.
  const redis = createRedis(stack.options.redisUrl, 'bench-api', { enableAutoPipelining: true });
  const queue = new RunQueue(
    createRedis(stack.options.redisUrl, 'bench-api-queue', { enableAutoPipelining: true }),
    keys.bullPrefix(),
  );
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

  // Completion is read from the run queue (one cheap count per poll), not from a live subscriber of
  // every event: that subscriber would wake this process, and make Redis match a pattern, for each
  // of the six events of every run, which on two cores slows the very processes being measured.
  // A run's job completes only after its RUN_SUCCEEDED was written, so this measures a little more,
  // not less, than enqueue to RUN_SUCCEEDED; every run's final status is checked afterwards.
  const unfinished = async (): Promise<number> => {
    const counts = await queue.queue.getJobCounts('waiting', 'prioritized', 'active', 'delayed');
    return Object.values(counts).reduce((a, b) => a + b, 0);
  };
  const measure = async (total: number): Promise<number> => {
    const runIds: string[] = [];
    const started = performance.now();
    await pool(total, IN_FLIGHT, async () => {
      runIds.push(
        (await runs.runWorkflow({ tenantId: 'default', workflow, inputs: {}, idempotencyKey: undefined, priority: 0 })).id,
      );
    });
    while ((await unfinished()) > 0) await new Promise((r) => setTimeout(r, 5));
    const rate = (total * 1000) / (performance.now() - started);
    const pipeline = redis.pipeline();
    for (const id of runIds) pipeline.hget(keys.runState(id), 'status');
    const statuses = ((await pipeline.exec()) ?? []).map(([, status]) => status);
    const notSucceeded = statuses.filter((st) => st !== 'SUCCEEDED').length;
    if (notSucceeded > 0) throw new Error(`${notSucceeded} of ${total} throughput runs did not succeed`);
    return rate;
  };

  // The writer persists a round's events after its runs end; each round starts once it is done,
  // so neither side is measured while the other's backlog still takes the CPU.
  const quiet = async (): Promise<void> => {
    while ((await redis.xlen(keys.eventStream())) > 0) await new Promise((r) => setTimeout(r, 20));
  };
  const raw = await rawBullmq();
  await measure(WARM_UP);
  await quiet();
  await raw.measure(WARM_UP);
  const oursRates: number[] = [];
  const rawRates: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    await quiet();
    oursRates.push(await measure(RUNS_PER_ROUND));
    await quiet();
    rawRates.push(await raw.measure(RUNS_PER_ROUND));
  }
  await raw.close();
  const ours = percentile(oursRates, 50);
  const baseline = percentile(rawRates, 50);
  const ratio = ours / baseline;
  console.log(
    `\n## Throughput: 1-node runs (debug.sleep 0 ms), enqueue to RUN_SUCCEEDED; ${ROUNDS} alternating rounds of ${RUNS_PER_ROUND} each after ${WARM_UP} to warm up; medians`,
  );
  console.log('| system | per second (median) | rounds |');
  console.log('| --- | --- | --- |');
  console.log(`| Switchyard runs | ${fmt(ours, 0)} | ${oursRates.map((x) => fmt(x, 0)).join(', ')} |`);
  console.log(`| raw BullMQ no-op jobs (concurrency 10) | ${fmt(baseline, 0)} | ${rawRates.map((x) => fmt(x, 0)).join(', ')} |`);
  console.log(`| ratio | ${fmt(ratio * 100, 1)}% (goal >= 20%: ${ratio >= 0.2 ? 'met' : 'MISSED'}) | |`);

  await queue.close();
  await redis.quit();
  return ratio >= 0.2;
}
