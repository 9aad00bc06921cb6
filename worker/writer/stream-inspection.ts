import type { Redis } from 'ioredis';
import type { RedisKeys } from '../../src/redis/keys';
import { entryTimeMs } from './stream-entry';

/** How far behind the writers are, from the stream itself (so every writer sees the same figures). */
export interface StreamBacklog {
  /** Entries in the stream. Stored entries are deleted, so these are the events not yet stored. */
  length: number;
  /** Entries read by some writer and not yet acknowledged. */
  pending: number;
  /** Age of the oldest entry not yet stored (ms); 0 when the stream is empty. */
  lagMs: number;
}

export async function inspectStream(redis: Redis, keys: RedisKeys, group: string, now: number): Promise<StreamBacklog> {
  const stream = keys.eventStream();
  const replies = (await redis.pipeline().xlen(stream).xpending(stream, group).xrange(stream, '-', '+', 'COUNT', 1).exec()) ?? [];
  for (const [err] of replies) if (err) throw err;
  const length = Number(replies[0]?.[1] ?? 0);
  const pending = Number((replies[1]?.[1] as [number] | undefined)?.[0] ?? 0);
  const oldest = (replies[2]?.[1] as Array<[string, string[]]> | undefined)?.[0]?.[0];
  return { length, pending, lagMs: oldest === undefined ? 0 : Math.max(0, now - entryTimeMs(oldest)) };
}
