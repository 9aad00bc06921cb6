import { createServer } from 'node:http';
import { announceReady, stopOnSignals } from '../../src/lifecycle';
import { createLogger } from '../../src/observability/logger';
import { RedisKeys } from '../../src/redis/keys';
import { closeRedis, createRedis } from '../../src/redis/redis-connection';
import { createServiceClient } from '../../src/store/supabase-client';
import { EventBatchStore } from './event-batch-store';
import { EventWriter } from './event-writer';
import { compileWriterOptions } from './writer-options';

/** Entry point of a batching writer process (`node dist/worker/writer/main.js`). */
async function main(): Promise<void> {
  const log = createLogger('writer');
  const options = compileWriterOptions(process.env);
  const redis = createRedis(options.redis.redisUrl, 'switchyard-writer');
  const db = await createServiceClient(options.supabase);
  const store = new EventBatchStore(db, options.writer.requestTimeoutMs);
  const writer = new EventWriter(redis, store, new RedisKeys(options.redis.redisPrefix), options.writer, log);

  const metricsServer =
    options.writer.metricsPort === undefined
      ? undefined
      : createServer((req, res) => {
          const body = JSON.stringify(writer.metrics());
          res.writeHead(req.url === '/healthz' || req.url === '/metrics' ? 200 : 404, { 'content-type': 'application/json' });
          res.end(body);
        });
  stopOnSignals(
    async () => {
      metricsServer?.close();
      await writer.stop();
      await closeRedis(redis);
    },
    options.writer.shutdownGraceMs + 5000,
    (m) => log.info(m),
  );
  await writer.start();
  if (metricsServer) {
    await new Promise<void>((resolve) => metricsServer.listen(options.writer.metricsPort, '127.0.0.1', resolve));
    log.info({ address: metricsServer.address() }, 'writer metrics at /metrics');
  }
  announceReady();
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
