import type { SupabaseClient } from '@supabase/supabase-js';
import type { Redis } from 'ioredis';
import { parseRunEvent } from '../../src/core/events';
import type { RedisKeys } from '../../src/redis/keys';
import { foldEventBatch } from '../../src/store/event-batch';

/**
 * The baseline the batching writer is measured against: the same stream, the same consumer group,
 * the same replay-safe function, but one supabase-js call per event, one after another (what a
 * worker writing its own events would do). It stores exactly what the batching writer stores.
 */
export class NaiveWriter {
  constructor(
    private readonly redis: Redis,
    private readonly db: SupabaseClient,
    private readonly keys: RedisKeys,
    private readonly group = 'naive',
  ) {}

  /** Stores events until `total` are stored; returns how many rows were inserted. */
  async drain(total: number): Promise<number> {
    const stream = this.keys.eventStream();
    await this.redis.xgroup('CREATE', stream, this.group, '0', 'MKSTREAM').catch(() => undefined);
    let stored = 0;
    while (stored < total) {
      const reply = (await this.redis.xreadgroup(
        'GROUP',
        this.group,
        'naive-1',
        'COUNT',
        100,
        'BLOCK',
        1000,
        'STREAMS',
        stream,
        '>',
      )) as Array<[string, Array<[string, string[]]>]> | null;
      const entries = reply?.[0]?.[1] ?? [];
      for (const [, fields] of entries) {
        const rows = foldEventBatch([parseRunEvent(JSON.parse(fields[1] as string))]);
        const { data, error } = await this.db.rpc('apply_event_batch', {
          p_runs: rows.runs,
          p_nodes: rows.nodes,
          p_events: rows.events,
        });
        if (error) throw new Error(`naive write failed: ${error.message}`);
        stored += typeof data === 'number' ? data : 0;
      }
      const ids = entries.map(([id]) => id);
      if (ids.length > 0)
        await this.redis
          .multi()
          .xack(stream, this.group, ...ids)
          .xdel(stream, ...ids)
          .exec();
    }
    return stored;
  }
}
