import type { RunStore } from '../redis/run-store';
import { DatabaseError } from '../store/database-error';
import type { RunArchive } from '../store/run-archive';
import type { RunView } from '../store/views';
import { runViewOfStored } from './run-views';

/**
 * Reads runs from both places they live: Postgres (through PostgREST), where the batching writer
 * stores every event, and Redis, which holds a run's state while it is hot. The fresher copy wins,
 * by the seq of the newest event each reflects, so a client never sees a run go backwards, even in
 * the moment between an event and the writer's flush. If the database is down, hot runs are still
 * served from Redis.
 */
export class RunReader {
  constructor(
    private readonly store: RunStore,
    private readonly archive: RunArchive,
  ) {}

  async getMany(ids: readonly string[]): Promise<Array<RunView | undefined>> {
    const [hot, cold] = await Promise.all([this.store.loadMany(ids), this.archive.getRuns(ids).catch((err: unknown) => err)]);
    const coldById = new Map(Array.isArray(cold) ? cold.map((r) => [r.id, r]) : []);
    return ids.map((id, i) => {
      const h = hot[i];
      const c = coldById.get(id);
      if (!Array.isArray(cold) && !h) throw cold instanceof Error ? cold : new DatabaseError('read runs', cold);
      if (h && (!c || h.seq > c.lastSeq)) return runViewOfStored(h);
      return c;
    });
  }

  /** Replaces listed runs (from Postgres) with their fresher Redis state where there is one. */
  async refresh(runs: RunView[]): Promise<RunView[]> {
    const hot = await this.store.loadMany(runs.map((r) => r.id));
    return runs.map((r, i) => {
      const h = hot[i];
      return h && h.seq > r.lastSeq ? runViewOfStored(h) : r;
    });
  }
}
