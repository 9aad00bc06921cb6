import { Redis, type RedisOptions } from 'ioredis';

/**
 * Opens an ioredis connection. `maxRetriesPerRequest: null` is what BullMQ requires of its
 * connections and what a long-lived service wants: commands wait for a reconnect instead of failing
 * after a few tries.
 */
export function createRedis(url: string, name: string, extra: RedisOptions = {}): Redis {
  return new Redis(url, { connectionName: name, maxRetriesPerRequest: null, enableReadyCheck: true, ...extra });
}

/** Closes a connection, waiting for pending replies; falls back to disconnect when it is already broken. */
export async function closeRedis(redis: Redis): Promise<void> {
  if (redis.status === 'end') return;
  try {
    await redis.quit();
  } catch {
    redis.disconnect();
  }
}
