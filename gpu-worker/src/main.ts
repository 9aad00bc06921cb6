import { Redis } from 'ioredis';
import { RedisKeys } from '../../src/redis/keys';
import { announceReady, stopOnSignals } from '../../src/lifecycle';
import { createLogger } from '../../src/observability/logger';
import { gpuBlockHandlers } from './blocks/block-handlers';
import { compileGpuWorkerOptions } from './gpu-worker-options';
import { JobRunner } from './jobs/job-runner';
import { EndpointServer } from './local/endpoint-server';
import { createModelBlockHandlers } from './models';
import { RedisJobNotifier, noNotifier, type JobNotifier } from './notify/job-notifier';

/**
 * Entry point of the gpu-worker (`node dist/gpu-worker/src/main.js`). Local mode: serves RunPod's
 * endpoint API on GPU_WORKER_PORT. SIGTERM stops taking jobs, finishes those in progress, exits.
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
    { concurrency: options.concurrency, maxQueued: options.maxQueued, retainFinishedMs: options.retainFinishedMs, workerId: options.workerId },
    notifier,
    log,
  );
  const server = new EndpointServer(runner, { host: options.host, port: options.port, apiKey: options.apiKey, maxBodyBytes: 20 * 1024 * 1024, maxWaitMs: 90_000 }, log);
  stopOnSignals(
    async () => {
      await server.close();
      await runner.drain();
      await models.dispose();
      await notifier.close();
    },
    options.shutdownGraceMs + 5000,
    (m) => log.info(m),
  );
  const address = await server.listen();
  log.info({ port: address.port, device: models.options.device }, 'gpu-worker ready (local RunPod endpoint API)');
  announceReady();
  void models.preload().catch((err: unknown) => log.error({ err }, 'preloading models failed'));
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
