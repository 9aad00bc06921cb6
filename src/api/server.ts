import { makeExecutableSchema } from '@graphql-tools/schema';
import { RedisPubSub } from 'graphql-redis-subscriptions';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { resolvers } from '../../resolvers';
import { systemClock } from '../core/clock';
import { RunQueue } from '../queue/run-queue';
import { RedisKeys } from '../redis/keys';
import { closeRedis, createRedis } from '../redis/redis-connection';
import { RunStore } from '../redis/run-store';
import { ApiKeyRepo } from '../store/api-key-repo';
import { RunArchive } from '../store/run-archive';
import { createServiceClient } from '../store/supabase-client';
import { WorkflowRepo } from '../store/workflow-repo';
import type { ApiOptions } from './api-options';
import type { ApiServices } from './api-services';
import { ApiKeyAuthenticator } from './auth';
import { HttpServer } from './http-server';
import { createLoaders } from './loaders';
import { RunReader } from './run-reader';
import { RunService } from './run-service';
import { loadTypeDefs } from './schema';

export interface RunningApi {
  url: string;
  address: AddressInfo;
  stop(): Promise<void>;
}

/**
 * The API's composition root, and the only file in src/ that imports resolvers/: builds the
 * connections and services once and serves them over HTTP and WebSocket.
 */
export async function startApiServer(options: ApiOptions, log: Logger): Promise<RunningApi> {
  const keys = new RedisKeys(options.redis.redisPrefix);
  const redis = createRedis(options.redis.redisUrl, 'switchyard-api', { enableAutoPipelining: true });
  const publisher = createRedis(options.redis.redisUrl, 'switchyard-api-pub');
  const subscriber = createRedis(options.redis.redisUrl, 'switchyard-api-sub');
  // Auto-pipelined too: concurrent runWorkflow calls then share socket writes for their job adds.
  const queueConnection = createRedis(options.redis.redisUrl, 'switchyard-api-queue', { enableAutoPipelining: true });
  const pubsub = new RedisPubSub({ publisher, subscriber });
  const db = await createServiceClient(options.supabase);
  const store = new RunStore(redis, keys);
  const archive = new RunArchive(db);
  const queue = new RunQueue(queueConnection, keys.bullPrefix());
  const services: ApiServices = {
    clock: systemClock,
    workflows: new WorkflowRepo(db),
    runs: new RunService(store, queue, systemClock, {
      limits: options.limits,
      idempotencyTtlSeconds: 86_400,
      retentionSeconds: options.retentionSeconds,
    }),
    reader: new RunReader(store, archive),
    archive,
    store,
    events: { pubsub, keys, store, archive },
  };
  const auth = new ApiKeyAuthenticator(options.bootstrapKey, new ApiKeyRepo(db));
  const schema = makeExecutableSchema({ typeDefs: loadTypeDefs(), resolvers: resolvers as never });

  const http = new HttpServer(
    { host: options.host, port: options.port, maxBodyBytes: options.maxBodyBytes, shutdownGraceMs: options.shutdownGraceMs },
    {
      schema,
      log,
      contextFor: async (authorization) => {
        const principal = await auth.authenticate(authorization);
        return { tenantId: principal.tenantId, loaders: createLoaders(services), services };
      },
      readiness: async () => {
        const [redisOk, dbOk] = await Promise.all([
          redis.ping().then(
            () => true,
            () => false,
          ),
          db
            .from('tenants')
            .select('id', { head: true, count: 'exact' })
            .then(
              (r) => !r.error,
              () => false,
            ),
        ]);
        return { redis: redisOk, database: dbOk };
      },
    },
  );
  const address = await http.listen();
  const host = address.address.includes(':') ? `[${address.address}]` : address.address;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${address.port}/graphql`,
    address,
    async stop() {
      await http.stop();
      await queue.close();
      await Promise.all([redis, publisher, subscriber, queueConnection].map(closeRedis));
    },
  };
}
