import { WaitingError, Worker, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { BlockHandler } from '../src/blocks/block-handler';
import { systemClock } from '../src/core/clock';
import { LifecyclePhase } from '../src/lifecycle';
import { RUN_QUEUE_NAME, type RunJobData } from '../src/queue/run-queue';
import { BlockSlots } from '../src/redis/block-slots';
import { RedisKeys } from '../src/redis/keys';
import { closeRedis, createRedis } from '../src/redis/redis-connection';
import { RunStore } from '../src/redis/run-store';
import { RunpodEndpointClient } from '../src/runpod/runpod-endpoint-client';
import { RunpodJobWatcher } from '../src/runpod/runpod-job-watcher';
import { ExecutionEnd, RunExecutor } from './executor/run-executor';
import { RunControl } from './executor/run-control';
import type { WorkerOptions } from './worker-options';

/**
 * The worker process: a BullMQ worker whose processor drives one run with the RunExecutor. Any
 * number of these share one Redis. On SIGTERM the runs in hand are handed back to the queue (their
 * RunPod jobs keep running and are re-attached by whoever takes them), so a deploy loses nothing.
 */
export class RunWorker {
  private phase: LifecyclePhase = LifecyclePhase.Starting;
  private readonly keys: RedisKeys;
  private readonly redis: Redis;
  private readonly subscriber: Redis;
  private readonly controlSubscriber: Redis;
  private readonly bullConnection: Redis;
  private readonly shutdown = new AbortController();
  private readonly watcher: RunpodJobWatcher;
  private readonly control: RunControl;
  private readonly executor: RunExecutor;
  private worker: Worker<RunJobData> | undefined;

  constructor(
    private readonly options: WorkerOptions,
    cpuHandlers: ReadonlyMap<string, BlockHandler>,
    private readonly log: Logger,
  ) {
    this.keys = new RedisKeys(options.redis.redisPrefix);
    // Auto-pipelining: transitions of many runs issued in one tick share one socket write, which
    // profiling showed to be the worker's largest cost.
    this.redis = createRedis(options.redis.redisUrl, 'switchyard-worker', { enableAutoPipelining: true });
    this.subscriber = createRedis(options.redis.redisUrl, 'switchyard-worker-jobs');
    this.controlSubscriber = createRedis(options.redis.redisUrl, 'switchyard-worker-control');
    this.bullConnection = createRedis(options.redis.redisUrl, 'switchyard-worker-bullmq');
    const runpod = new RunpodEndpointClient({ endpointUrl: options.runpodEndpointUrl, apiKey: options.runpodApiKey });
    this.watcher = new RunpodJobWatcher(this.subscriber, this.keys.runpodJobChannel(), runpod, {
      pollInitialMs: 250,
      pollMaxMs: 2000,
      recentNoticeLimit: 10_000,
    });
    this.control = new RunControl(this.controlSubscriber, this.keys);
    const slots = new BlockSlots(this.redis, this.keys, { limits: options.blockConcurrency, slotTtlMs: 15_000, pollMs: 25 });
    this.executor = new RunExecutor({
      store: new RunStore(this.redis, this.keys),
      attempts: { runpod, watcher: this.watcher, cpuHandlers, slots },
      control: this.control,
      clock: systemClock,
      random: Math.random,
      logger: log,
      options: options.executor,
    });
  }

  get currentPhase(): LifecyclePhase {
    return this.phase;
  }

  async start(): Promise<void> {
    await this.watcher.start();
    await this.control.start();
    this.worker = new Worker<RunJobData>(RUN_QUEUE_NAME, (job, token) => this.process(job, token), {
      connection: this.bullConnection,
      prefix: this.keys.bullPrefix(),
      concurrency: this.options.concurrency,
      lockDuration: this.options.jobLockMs,
      stalledInterval: this.options.stalledIntervalMs,
      // A run whose worker keeps dying is still resumed: the executor never repeats recorded work.
      maxStalledCount: 1000,
    });
    this.worker.on('error', (err) => this.log.error({ err }, 'bullmq worker error'));
    this.worker.on('failed', (job, err) => this.log.error({ err, jobId: job?.id }, 'run job failed'));
    await this.worker.waitUntilReady();
    this.phase = LifecyclePhase.Running;
    this.log.info({ concurrency: this.options.concurrency }, 'worker ready');
  }

  private async process(job: Job<RunJobData>, token: string | undefined): Promise<ExecutionEnd> {
    const end = await this.executor.execute(job.data.runId, this.shutdown.signal);
    if (end === ExecutionEnd.Abandoned) {
      // Hand the run back: another worker (or this one, later) continues it from Redis.
      await job.moveToWait(token);
      throw new WaitingError();
    }
    return end;
  }

  /** Stops taking runs, hands back the ones in hand, closes connections. */
  async stop(): Promise<void> {
    if (this.phase === LifecyclePhase.Stopped || this.phase === LifecyclePhase.Draining) return;
    this.phase = LifecyclePhase.Draining;
    this.shutdown.abort();
    await this.worker?.close();
    await this.watcher.stop();
    await this.control.stop();
    await Promise.all([this.redis, this.subscriber, this.controlSubscriber, this.bullConnection].map(closeRedis));
    this.phase = LifecyclePhase.Stopped;
    this.log.info('worker stopped');
  }
}
