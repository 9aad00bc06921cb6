import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RedisKeys } from '../../src/redis/keys';
import { announceReady, stopOnSignals } from '../../src/lifecycle';
import { createLogger } from '../../src/observability/logger';
import { UnreachableCaseError } from '../../src/core/unreachable';
import { gpuBlockHandlers } from './blocks/block-handlers';
import { compileGpuWorkerOptions, GpuWorkerMode, type GpuWorkerOptions } from './gpu-worker-options';
import { JobRunner } from './jobs/job-runner';
import { EndpointServer } from './local/endpoint-server';
import { createModelBlockHandlers } from './models';
import { RedisJobNotifier, noNotifier, type JobNotifier } from './notify/job-notifier';
import { ProductionWorker } from './production/production-worker';

/** How one mode starts, and how it stops on SIGTERM (before the models and the notifier close). */
interface ModeRuntime {
  start(): Promise<string>;
  drain(): Promise<void>;
}

/** Local mode: RunPod's endpoint API on GPU_WORKER_PORT. */
function localMode(runner: JobRunner, options: GpuWorkerOptions, log: Logger): ModeRuntime {
  const server = new EndpointServer(
    runner,
    {
      host: options.host,
      port: options.port,
      apiKey: options.apiKey,
      maxBodyBytes: 20 * 1024 * 1024,
      maxWaitMs: 90_000,
      streamWaitMs: options.streamWaitMs,
    },
    log,
  );
  return {
    async start() {
      const address = await server.listen();
      return `local RunPod endpoint API on ${address.address}:${address.port}`;
    },
    async drain() {
      // /run answers 503 from here on, while /status and the long polls keep serving until the
      // jobs already accepted have finished; then the server closes.
      await runner.drain();
      await server.close();
    },
  };
}

/** Production mode: RunPod's worker protocol (job-take, job-done, ping, job-stop). */
function productionMode(runner: JobRunner, options: GpuWorkerOptions, log: Logger): ModeRuntime {
  const production = options.production;
  if (!production) throw new Error('production mode without production options');
  const worker = new ProductionWorker(runner, production, options.concurrency, log);
  return {
    async start() {
      worker.start();
      return `RunPod worker ${options.workerId}, up to ${options.concurrency} jobs at once`;
    },
    drain: () => worker.drain(),
  };
}

/**
 * Entry point of the gpu-worker (`node dist/gpu-worker/src/main.js`). Production mode when RunPod
 * sets RUNPOD_WEBHOOK_GET_JOB (as runpod-python decides), local mode otherwise. SIGTERM stops
 * taking jobs, finishes those in progress (in production: posts their results), then exits 0.
 */
async function main(): Promise<void> {
  const log = createLogger('gpu-worker');
  const options = compileGpuWorkerOptions(process.env);
  const models = createModelBlockHandlers({ logger: log });
  const notifier: JobNotifier = options.redisUrl
    ? new RedisJobNotifier(
        new Redis(options.redisUrl, { connectionName: 'switchyard-gpu-worker', maxRetriesPerRequest: 3 }),
        new RedisKeys(options.redisPrefix).runpodJobChannel(),
        (err) => log.warn({ err }, 'could not publish a job notice'),
      )
    : noNotifier;
  const runner = new JobRunner(
    gpuBlockHandlers(models.handlers),
    {
      concurrency: options.concurrency,
      maxQueued: options.maxQueued,
      retainFinishedMs: options.retainFinishedMs,
      progressIntervalMs: options.progressIntervalMs,
      workerId: options.workerId,
    },
    notifier,
    log,
  );
  const mode = options.mode;
  let runtime: ModeRuntime;
  switch (mode) {
    case GpuWorkerMode.Local:
      runtime = localMode(runner, options, log);
      break;
    case GpuWorkerMode.Production:
      runtime = productionMode(runner, options, log);
      break;
    default:
      throw new UnreachableCaseError(mode);
  }
  stopOnSignals(
    async () => {
      await runtime.drain();
      await models.dispose();
      await notifier.close();
    },
    options.shutdownGraceMs + 5000,
    (m) => log.info(m),
  );
  const what = await runtime.start();
  log.info({ mode, device: models.options.device }, `gpu-worker ready: ${what}`);
  announceReady();
  void models.preload().catch((err: unknown) => log.error({ err }, 'preloading models failed'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
