import type { RunStore } from '../redis/run-store';
import { DatabaseError } from '../store/database-error';
import type { RunArchive } from '../store/run-archive';
import type { Cursor } from '../store/pagination';
import type { RunView } from '../store/views';
import type { RunStatus } from '../core/states';

export interface RunListFilter {
  workflowId?: string | null;
  status?: RunStatus | null;
}

/** (createdAt, id) descending: the order every list uses. */
function newestFirst(a: RunView, b: RunView): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

function isAfter(r: RunView, c: Cursor): boolean {
  return r.createdAt < c.createdAt || (r.createdAt === c.createdAt && r.id < c.id);
}
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

  /**
   * A page of the tenant's runs, newest first: the rows in Postgres merged with runs so new that the
   * writer has not stored them yet (the tenant's recent-runs set in Redis), each in its freshest state.
   */
  async list(tenantId: string, filter: RunListFilter, limit: number, after: Cursor | undefined): Promise<RunView[]> {
    const beforeMs = after ? Date.parse(after.createdAt) + 1 : undefined;
    const [cold, recentIds] = await Promise.all([
      this.archive.list(tenantId, filter, limit, after),
      this.store.recentRunIds(tenantId, beforeMs, limit),
    ]);
    const stored = new Set(cold.map((r) => r.id));
    const hot = (await this.store.loadMany(recentIds.filter((id) => !stored.has(id))))
      .filter((r): r is NonNullable<typeof r> => r !== undefined)
      .map(runViewOfStored);
    const merged = [...(await this.refresh(cold)), ...hot]
      .filter((r) => (!filter.workflowId || r.workflowId === filter.workflowId) && (!filter.status || r.status === filter.status))
      .filter((r) => !after || isAfter(r, after))
      .sort(newestFirst);
    return merged.slice(0, limit);
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
